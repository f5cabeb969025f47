"""Invitations: a person an admin created sets their first password from an emailed link."""

from django.conf import settings
from django.urls import reverse

from portal.accounts import links
from portal.accounts.models import User
from portal.audit import events as audit


def send_invitation(user: User, *, resent: bool = False) -> None:
    """Email ``user`` a link to set their first password; any earlier invitation stops working.

    The password is made unusable again first, which changes the fingerprint,
    so only the newest invitation works. Call it only for someone without a
    usable password.
    """
    user.set_unusable_password()
    user.save(update_fields=["password"])
    token = links.make_link_token(user, links.INVITATION)
    links.send_link_email(
        to=user.email,
        subject="You are invited to the Frontier Review Portal",
        template="portal/email/invitation.txt",
        context={
            "person": user,
            "link": settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token}),
            "days": settings.INVITATION_DAYS,
        },
    )
    audit.record("auth.invitation_sent", target=user, details={"resent": resent})
