"""Signing in: the password, then the code; confirming before a sensitive action.

A person with a second factor is not signed in by the password alone: the
password step keeps who they are in the (anonymous) session for
``MFA_PENDING_SECONDS`` and asks for the code. Only a right code signs them
in, with a new session key. Wrong codes count as failed sign-ins for
django-axes and the audit log, like wrong passwords, and after five the
sign-in starts over. A lockout answers exactly as a wrong password does.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import (
    authenticate,
    get_user_model,
    login,
    update_session_auth_hash,
    user_login_failed,
)
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from portal.accounts import kept_actions, mfa, session_policy
from portal.accounts.forms import (
    CODE_REFUSED,
    CONFIRM_REFUSED,
    SIGN_IN_REFUSED,
    ConfirmForm,
    SignInCodeForm,
    SignInForm,
)
from portal.audit import events as audit

PENDING = "auth_pending"
MAX_CODE_ATTEMPTS = 5


class SignInView(LoginView):
    template_name = "portal/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if mfa.has_device(user):
            self.request.session[PENDING] = {
                "user_id": user.pk,
                "backend": user.backend,
                "hash": user.get_session_auth_hash(),
                "at": timezone.now().timestamp(),
                "next": self.get_redirect_url(),
                "attempts": 0,
            }
            return redirect("login_code")
        response = super().form_valid(form)
        if mfa.must_enrol(user):
            query = urlencode({"next": self.get_success_url()})
            page = "mfa_overview" if mfa.passkey_required(user) else "mfa_setup"
            return redirect(f"{reverse(page)}?{query}")
        return response


sign_in = mfa.enrolment_allowed(SignInView.as_view())


def pending_user(request):
    """The person whose password was right a moment ago, or None."""
    pending = request.session.get(PENDING)
    if not pending:
        return None, None
    if timezone.now().timestamp() - pending["at"] > settings.MFA_PENDING_SECONDS:
        del request.session[PENDING]
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), pending["hash"]):
        del request.session[PENDING]
        return None, None
    return user, pending


def code_refused(request, user, pending) -> None:
    """A wrong code counts as a failed sign-in (audit log, django-axes)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    pending["attempts"] += 1
    if pending["attempts"] >= MAX_CODE_ATTEMPTS:
        del request.session[PENDING]
    else:
        request.session[PENDING] = pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_not_required
@mfa.enrolment_allowed
def sign_in_code(request):
    user, pending = pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: enter your username and password.")
        return redirect("login")
    form = SignInCodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and mfa.totp_refused(user, form.cleaned_data["code"])
    ):
        form.add_error("code", mfa.TOTP_REFUSED)
    elif request.method == "POST" and form.is_valid():
        credentials = {"username": user.get_username()}
        device = None
        if AxesProxyHandler.is_allowed(request, credentials):
            device = mfa.verify_code(user, form.cleaned_data["code"])
        if device is None:
            code_refused(request, user, pending)
            if PENDING not in request.session:
                messages.error(request, "Too many wrong codes. Sign in again.")
                return redirect("login")
            form.add_error(None, CODE_REFUSED)
        else:
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. If you lost your "
                    "authenticator app, set up a new one under Two-step sign-in.",
                )
            return redirect(pending["next"] or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "portal/login_code.html",
        {
            "form": form,
            "has_passkey": mfa.has_passkey(user),
            "passkey_config": mfa.passkey_script_config(request),
            "passkey_required": mfa.passkey_required(user),
            "next": pending["next"] or "",
        },
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@sensitive_post_parameters("password", "code")
@never_cache
@mfa.enrolment_allowed
def reauthenticate(request):
    """Confirm it is you: the password, and a code when the person has a second factor.

    A form sent with a stale sign-in was kept (``kept_actions``) under the key
    in ``action``: once confirmed, it is done here, in this request, through
    its own view; if it cannot be, the person goes back to ``next`` and is told why.
    """
    user = request.user
    action = request.POST.get("action") or request.GET.get("action") or ""
    # A passkey used on this page a moment ago stands in for the code.
    passkey_used = mfa.passkey_confirmed(request)
    needs_code = mfa.has_device(user) and not passkey_used
    form = ConfirmForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        confirmed = authenticate(
            request, username=user.get_username(), password=form.cleaned_data["password"]
        )
        if confirmed is not None and confirmed.pk == user.pk:
            # Checking the password may have upgraded its hash: keep this session valid.
            update_session_auth_hash(request, confirmed)
        device = None
        if confirmed is not None and confirmed.pk == user.pk and needs_code:
            device = mfa.verify_code(user, form.cleaned_data["code"])
            if mfa.totp_refused(user, form.cleaned_data["code"]):
                form.add_error("code", mfa.TOTP_REFUSED)
            elif device is None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=request
                )
        if confirmed is not None and confirmed.pk == user.pk and (device or not needs_code):
            mfa.passkey_confirmed(request, consume=True)
            session_policy.mark_authenticated(request)
            if device is not None:
                otp_login(request, device)
            audit.record("auth.reauthenticated", target=user)
            if action:
                done = kept_actions.resume(request, action)
                if done is not None:
                    return done
            return redirect(_safe_next(request))
        form.add_error(None, CONFIRM_REFUSED)
    return render(
        request,
        "portal/reauthenticate.html",
        {
            "form": form,
            "next": _safe_next(request),
            "action": action,
            "passkey_used": passkey_used,
            "offer_passkey": mfa.has_passkey(user) and not passkey_used,
            "passkey_config": mfa.passkey_script_config(request, confirming=True),
            "passkey_return": request.get_full_path(),
        },
    )


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out attempt: the page a wrong password gets.

    The view has already answered as for a wrong password (the backend refused
    before any password was checked), so that answer is kept: nothing tells a
    guesser that the account or the address is now locked.
    """
    if original_response is not None and hasattr(original_response, "status_code"):
        return original_response
    form = SignInForm(request)
    form.add_error(None, SIGN_IN_REFUSED)
    return render(request, "portal/login.html", {"form": form})
