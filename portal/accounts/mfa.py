"""Two-step sign-in: who must have it, checking a code, enrolment, recovery codes.

A person's second factor is a TOTP authenticator app (django-otp's
``TOTPDevice``) and a set of single-use recovery codes (a ``StaticDevice``).
django-otp remembers the time step of the last accepted TOTP code
(``last_t``) and refuses any code of that step or an earlier one, so a code
seen over someone's shoulder cannot be used again; both devices slow down
after failures (``throttling_failure_count``).

Agency staff (coordinators, reviewers) and platform admins must have it while
``MFA_ENFORCED`` is on; ``MfaEnrolmentMiddleware`` keeps such a person on the
enrolment page until they have. Everyone else may turn it on.

They may also add passkeys (WebAuthn, django-otp-webauthn's
``WebAuthnCredential``): phishing-resistant, since the browser signs for the
portal's own origin only. The roles in ``MFA_PHISHING_RESISTANT_ROLES``
("agency", "admin") must use one: their authenticator-app codes are refused,
a recovery code still signs them in, and then they reach nothing but the
two-step page until they have added a passkey.
"""

import re
from binascii import unhexlify

import segno
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.accounts import backends

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The demo accounts' shared TOTP secret (hex; base32 JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP).
# Published in the README: seeded only where seed_demo may publish a password.
DEMO_TOTP_KEY = "48656c6c6f21deadbeef48656c6c6f21deadbeef"
DEMO_DEVICE_NAME = "Demo authenticator"
TOTP_REFUSED = (
    "Your role signs in with a passkey: codes from an authenticator app are not accepted. "
    "Use your passkey, or sign in with one of your recovery codes and add a passkey under "
    "Two-step sign-in. No recovery codes left? Ask a platform admin to reset your two-step sign-in."
)


def is_required(user) -> bool:
    """Agency staff and platform admins must sign in with a second factor."""
    return bool(user.is_staff or user.is_agency_staff)


def must_enrol(user) -> bool:
    return settings.MFA_ENFORCED and is_required(user) and not has_device(user)


def phishing_resistant_roles(user) -> set[str]:
    """The names MFA_PHISHING_RESISTANT_ROLES uses for what this person is."""
    roles = set()
    if user.is_agency_staff:
        roles.add("agency")
    if user.is_staff:
        roles.add("admin")
    return roles


def passkey_required(user) -> bool:
    """Must this person use a phishing-resistant factor (a passkey)?"""
    return bool(phishing_resistant_roles(user) & set(settings.MFA_PHISHING_RESISTANT_ROLES))


def passkeys_allowed(user) -> bool:
    """Agency staff and platform admins may add passkeys, required or not."""
    return is_required(user)


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def has_passkey(user) -> bool:
    return passkeys(user).exists()


def must_add_passkey(user) -> bool:
    return passkey_required(user) and not has_passkey(user)


def totp_refused(user, code: str) -> bool:
    """An authenticator-app code from someone who must use a passkey."""
    return passkey_required(user) and normalize(code).isdigit()


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_device(user) -> bool:
    """A confirmed authenticator or passkey, or recovery codes left to sign in with."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or has_passkey(user)
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalize(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def verify_code(user, code: str):
    """The device that accepts ``code`` (a TOTP code or a recovery code), or None.

    The devices are locked while they check, so two requests cannot both
    spend one recovery code or one time step.
    """
    code = normalize(code)
    if not code or len(code) > 16 or totp_refused(user, code):
        return None
    devices = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        for device in devices.objects.filter(user=user, confirmed=True).select_for_update():
            if device.verify_token(code):
                return device
    return None


def passkey_script_config(request, *, confirming: bool = False) -> dict:
    """What django-otp-webauthn's script reads from the page (a JSON element, not code).

    ``confirming``: the ceremony confirms a signed-in person (the confirmation
    page) rather than finishing a sign-in; it then comes back to the page.
    """
    ceremony = "passkey_confirm" if confirming else "passkey_sign_in"
    return {
        "csrfToken": get_token(request),
        "beginRegistrationUrl": reverse("passkey_registration_begin"),
        "completeRegistrationUrl": reverse("passkey_registration_complete"),
        "beginAuthenticationUrl": reverse(f"{ceremony}_begin"),
        "completeAuthenticationUrl": reverse(f"{ceremony}_complete"),
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "#passkey-return" if confirming else "input[name='next']",
    }


PASSKEY_CONFIRMED = "passkey_confirmed_at"


def mark_passkey_confirmed(request) -> None:
    """A passkey (with its screen lock) was just used on the confirmation page."""
    request.session[PASSKEY_CONFIRMED] = timezone.now().timestamp()


def passkey_confirmed(request, *, consume: bool = False) -> bool:
    """Was a passkey used for the confirmation in progress (within MFA_PENDING_SECONDS)?"""
    at = request.session.get(PASSKEY_CONFIRMED)
    if consume:
        request.session.pop(PASSKEY_CONFIRMED, None)
    return at is not None and timezone.now().timestamp() - at <= settings.MFA_PENDING_SECONDS


# --- enrolment ------------------------------------------------------------------------------


def pending_authenticator(user) -> TOTPDevice:
    """The not yet confirmed authenticator being set up (the same one on every reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def confirm_authenticator(user, code: str) -> TOTPDevice | None:
    """Confirm the pending authenticator with a code from it; it replaces any earlier one."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(normalize(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def new_recovery_codes(user) -> list[str]:
    """A fresh set of recovery codes; the earlier set stops working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, drawn here (no script, no CDN)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#1b1b1b", light="#ffffff", title="QR code for your authenticator app"
    )


def demo_authenticator(user) -> TOTPDevice:
    """Give a demo account the published demo secret (seed_demo only)."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True
        )
    return device


# --- the gate ------------------------------------------------------------------------------


def enrolment_allowed(view):
    """Mark a view a person who must enrol may still open (sign-in, enrolment, confirmation)."""
    view.mfa_enrolment_allowed = True
    return view


class VerifiedDeviceMiddleware(OTPMiddleware):
    """django-otp's middleware, loading the session's device with the person.

    Every signed-in request needs the device the session was verified with.
    django-otp looks it up in a query of its own once the person is loaded;
    here the person's query joins it on its primary key
    (``backends.loading_session_device``), so a signed-in page costs one query
    for both. A person loaded some other way (already loaded, another backend)
    gets the device by its primary key. Either way django-otp decides as it
    does: only the person's own confirmed device verifies the session, and any
    other id is dropped from the session (``_finalize_device``).
    """

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        reference = _device_reference(persistent_id) if persistent_id else None
        with backends.loading_session_device(reference):
            authenticated = user.is_authenticated  # loads a lazy person here, with the device
        self._init_user_fields(user)
        if authenticated:
            device = getattr(user, backends.SESSION_DEVICE, _NOT_LOADED)
            if device is _NOT_LOADED:
                device = _device(*reference) if reference else None
            user.otp_device = self._finalize_device(request, user, device)
        return user

    def _device_from_persistent_id(self, persistent_id: str):
        reference = _device_reference(persistent_id)
        return _device(*reference) if reference else None


_NOT_LOADED = object()


def _device_reference(persistent_id: str) -> tuple[type[Device], int] | None:
    """The (device model, primary key) a session's device id names, or None."""
    persistent_id = OTPMiddleware._normalize_persistent_id(persistent_id)
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        device_model = apps.get_model(model_label)
        device_pk = int(device_id)
    except (ValueError, LookupError):
        return None
    if not issubclass(device_model, Device):
        return None
    return device_model, device_pk


def _device(model: type[Device], pk: int):
    """By primary key, one row at most: no ORDER BY, unlike django-otp's ``first()``."""
    return next(iter(model.objects.filter(pk=pk)[:1]), None)


class MfaEnrolmentMiddleware:
    """With MFA_ENFORCED: no page without the second step.

    A session signed in without its second step although the person has a
    device (a session from before they enrolled, say) is ended and sent to
    sign in again. A person who must have MFA and has none reaches only the
    enrolment page, sign-out and confirmation.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if getattr(view_func, "mfa_enrolment_allowed", False) or _is_logout(view_func):
            return None
        if user.is_verified():
            if must_add_passkey(user):
                messages.warning(request, "Your role needs a passkey: add one to continue.")
                return redirect("mfa_overview")
            return None
        if not settings.MFA_ENFORCED:
            return None
        if has_device(user):
            logout(request)
            return redirect_to_login(request.get_full_path())
        if is_required(user):
            query = urlencode({"next": request.get_full_path()})
            page = "mfa_overview" if passkey_required(user) else "mfa_setup"
            return redirect(f"{reverse(page)}?{query}")
        return None


def _is_logout(view_func) -> bool:
    from django.contrib.auth.views import LogoutView

    return getattr(view_func, "view_class", None) is LogoutView
