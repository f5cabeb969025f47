"""Passkeys (WebAuthn): adding one, signing in with one, removing one.

The ceremonies are django-otp-webauthn's views, narrowed to the portal's flow:

- **Adding** a passkey is for agency staff and platform admins
  (``mfa.passkeys_allowed``), within ``REAUTH_SECONDS`` of a sign-in or
  confirmation, like setting up an authenticator app; someone who already has
  a second factor must have used it this session (django-otp-webauthn's own
  check).
- **Signing in** with one is the second step after the password: only the
  person whose password was right a moment ago (``signin.pending_user``),
  only their own passkeys, and never instead of the password
  (``OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN`` is off). django-axes' lockout
  applies as it does to codes.
- **Confirming** a sensitive action with one, signed in: the passkey, with its
  screen lock or PIN (user verification required), stands in for the code on
  the confirmation page; the password is still asked there.

The browser's script (the package's, served from static) reads its settings
from a JSON element; the ceremonies answer JSON, refusals included.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from portal.accounts import mfa
from portal.accounts.session_policy import recent_auth_required, recently_authenticated
from portal.accounts.views import signin
from portal.audit import events as audit


class PasskeysNotForYou(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "passkeys_not_for_role"
    default_detail = "Passkeys are for agency staff and platform admins."


class ConfirmFirst(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "confirm_first"
    default_detail = "Confirm it is you first: adding a passkey needs a recent sign-in."


class SignInAgain(exceptions.OTPWebAuthnApiError):
    status_code = 401
    default_code = "sign_in_again"
    default_detail = "Sign in again: enter your username and password."


class NoPasskey(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "no_passkey"
    default_detail = "You have no passkey: confirm with your password and a code."


class PasskeyRefused(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "passkey_refused"
    default_detail = "That passkey was not accepted. Try again, or use a recovery code."


class _Registration:
    def check_can_register(self):
        user = self.request.user
        if not mfa.passkeys_allowed(user):
            raise PasskeysNotForYou()
        if not recently_authenticated(self.request):
            raise ConfirmFirst()


class RegistrationBegin(_Registration, BeginCredentialRegistrationView):
    pass


class RegistrationComplete(_Registration, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            audit.record(
                "mfa.passkey_added", target=self.request.user, details={"device": "passkey"}
            )
            messages.success(
                self.request, "Your passkey is added. You can sign in with it from now on."
            )
        return response


class _SignIn:
    """The second step of a sign-in in progress, with a passkey."""

    def get_user(self):
        user, _pending = signin.pending_user(self.request)
        return user

    def check_can_authenticate(self):
        user = self.get_user()
        if user is None:
            raise SignInAgain()
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(self.request, credentials):
            raise PasskeyRefused()


class SignInBegin(_SignIn, BeginCredentialAuthenticationView):
    pass


class SignInComplete(_SignIn, CompleteCredentialAuthenticationView):
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(exc, SignInAgain):
            user, pending = signin.pending_user(self.request)
            if user is not None and pending is not None:
                # A refused passkey counts as a failed sign-in, like a wrong code.
                signin.code_refused(self.request, user, pending)
        return super().handle_exception(exc)

    def complete_auth(self, device):
        user, pending = signin.pending_user(self.request)
        if user is None or pending is None:
            raise SignInAgain()
        del self.request.session[signin.PENDING]
        login(self.request, user, backend=pending["backend"])
        otp_login(self.request, device)
        self._next = pending["next"]

    def get_success_url(self):
        return getattr(self, "_next", "") or settings.LOGIN_REDIRECT_URL

    def get_success_data(self, device):
        return {"id": device.pk, "redirect_url": resolve_url(self.get_success_url())}


class _Confirming:
    """A signed-in person confirms it is them with a passkey (the confirmation page)."""

    def check_can_authenticate(self):
        if not mfa.has_passkey(self.request.user):
            raise NoPasskey()


class ConfirmBegin(_Confirming, BeginCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        # Confirming needs the passkey's own screen lock or PIN: it stands in for the code.
        data, state = self.get_helper().authenticate_begin(
            user=self.request.user, require_user_verification=True
        )
        self.request.session["otp_webauthn_authentication_state"] = state
        return JsonResponse(data)


class ConfirmComplete(_Confirming, CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        otp_login(self.request, device)
        mfa.mark_passkey_confirmed(self.request)


# Reachable by someone who must still add a second factor (the gate lets them through).
registration_begin = mfa.enrolment_allowed(RegistrationBegin.as_view())
registration_complete = mfa.enrolment_allowed(RegistrationComplete.as_view())
# Before the sign-in is complete: nobody is signed in yet.
sign_in_begin = login_not_required(mfa.enrolment_allowed(SignInBegin.as_view()))
sign_in_complete = login_not_required(mfa.enrolment_allowed(SignInComplete.as_view()))
# The confirmation page's ceremony (the page itself is reachable before enrolling).
confirm_begin = mfa.enrolment_allowed(ConfirmBegin.as_view())
confirm_complete = mfa.enrolment_allowed(ConfirmComplete.as_view())


@require_POST
@recent_auth_required
def remove(request, passkey_id: int):
    """Remove one of my passkeys (someone else's: 404)."""
    passkey = mfa.passkeys(request.user).filter(pk=passkey_id).first()
    if passkey is None:
        raise Http404("No such passkey.")
    if mfa.passkey_required(request.user) and mfa.passkeys(request.user).count() == 1:
        messages.error(
            request, "Your role needs a passkey: add another before removing your last one."
        )
        return redirect("mfa_overview")
    passkey.delete()
    audit.record("mfa.passkey_removed", target=request.user, details={"device": "passkey"})
    messages.success(request, "The passkey is removed.")
    return redirect("mfa_overview")
