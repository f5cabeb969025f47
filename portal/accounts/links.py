"""Signed links sent by email: an invitation, a confirmation of a new address.

The value carries the person's id and a fingerprint of their password hash,
email address and active flag, signed with the secret key. It expires
(``max_age``) and works once, because using it changes the password or the
address and so the fingerprint. A forged or altered value fails the signature.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac

from portal.accounts.models import User

INVITATION = "invitation"
EMAIL_CHANGE = "email-change"
HOUR = 3600


def _fingerprint(user: User, purpose: str) -> str:
    value = f"{user.pk}|{user.password}|{user.email}|{user.is_active}"
    return salted_hmac(f"portal.accounts.{purpose}", value, algorithm="sha256").hexdigest()[:32]


def make_link_token(user: User, purpose: str, **extra: str) -> str:
    """A signed value for ``purpose``; it stops working once the password or address changes."""
    payload = {"u": user.pk, "f": _fingerprint(user, purpose), **extra}
    return signing.dumps(payload, salt=f"portal.accounts.{purpose}", compress=True)


def read_link_token(token: str, purpose: str, max_age: int) -> tuple[User, dict] | None:
    """(the person, the payload) of a valid, unexpired, unused token; None otherwise."""
    try:
        payload = signing.loads(token, salt=f"portal.accounts.{purpose}", max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return None
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None or not constant_time_compare(
        str(payload.get("f", "")), _fingerprint(user, purpose)
    ):
        return None
    return user, payload


def send_link_email(*, to: str, subject: str, template: str, context: dict) -> None:
    """Mail one plain-text message through Django's email backend."""
    body = render_to_string(template, {"site_url": settings.SITE_URL, **context})
    send_mail(
        subject=f"[Frontier Review Portal] {subject}",
        message=body,
        from_email=None,
        recipient_list=[to],
    )


def invitation_max_age() -> int:
    return settings.INVITATION_DAYS * 24 * HOUR


def email_change_max_age() -> int:
    return settings.EMAIL_CHANGE_HOURS * HOUR
