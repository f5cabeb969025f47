"""Two-step sign-in pages: status, setting up an authenticator, recovery codes.

Setting up (or replacing) an authenticator and making new recovery codes are
sensitive: they need a recent sign-in or confirmation. Recovery codes are
shown once, in the answer that made them, and never stored in the clear
elsewhere than django-otp's table.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from portal.accounts import mfa
from portal.accounts.forms import EnrolmentForm
from portal.accounts.session_policy import recent_auth_required, recently_authenticated
from portal.audit import events as audit


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_GET
@mfa.enrolment_allowed
def overview(request):
    """Status of each factor; a person who must add a second factor or a passkey lands here."""
    user = request.user
    return render(
        request,
        "portal/two_step/overview.html",
        {
            "authenticator": mfa.authenticator(user),
            "recovery_codes_left": mfa.recovery_codes_left(user),
            "required": mfa.is_required(user),
            "passkeys": list(mfa.passkeys(user)),
            "passkeys_allowed": mfa.passkeys_allowed(user),
            "passkey_required": mfa.passkey_required(user),
            "passkey_config": mfa.passkey_script_config(request),
            "recently_confirmed": recently_authenticated(request),
            "next": _next(request),
        },
    )


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
@mfa.enrolment_allowed
@recent_auth_required
def setup(request):
    """Show the QR code and secret of a new authenticator; confirm it with a code from it."""
    user = request.user
    device = mfa.pending_authenticator(user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = mfa.confirm_authenticator(user, form.cleaned_data["code"])
        if confirmed is not None:
            otp_login(request, confirmed)
            audit.record("mfa.enrolled", target=user, details={"device": confirmed.name})
            codes = []
            if mfa.recovery_codes_left(user) == 0:
                codes = mfa.new_recovery_codes(user)
                audit.record("mfa.recovery_codes_created", target=user)
            messages.success(request, "Two-step sign-in is on. You will be asked for a code.")
            return render(
                request,
                "portal/two_step/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error("code", "That code is not right. Enter the code the app shows now.")
    return render(
        request,
        "portal/two_step/setup.html",
        {
            "form": form,
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.secret_text(device),
            "required": mfa.is_required(user),
            "passkey_required": mfa.passkey_required(user),
            "next": _next(request),
        },
    )


@never_cache
@require_POST
@recent_auth_required
def recovery_codes_new(request):
    user = request.user
    if mfa.authenticator(user) is None and not mfa.has_passkey(user):
        messages.error(request, "Set up an authenticator app or add a passkey first.")
        return redirect("mfa_overview")
    codes = mfa.new_recovery_codes(user)
    audit.record("mfa.recovery_codes_created", target=user)
    return render(request, "portal/two_step/recovery_codes.html", {"codes": codes, "next": ""})
