"""Personal access tokens: create (shown once), list, revoke.

Creating one is a sensitive action (``recent_auth_required``). Agency staff
and platform admins, whose tokens skip a second factor, create one only within
``TOKEN_REAUTH_SECONDS_PRIVILEGED`` of confirming with password and code, and
only with read scopes (``scopes_for``).
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.accounts import kept_actions
from portal.accounts.forms import TokenForm
from portal.accounts.models import AccessToken
from portal.accounts.models.tokens import TokenRefused, scopes_for
from portal.accounts.roles import ANY_ROLE, role_required
from portal.accounts.session_policy import recent_auth_required
from portal.audit import events as audit

NEW_TOKEN_SESSION_KEY = "new_access_token"  # noqa: S105  (a session key name)


@require_GET
@role_required(*ANY_ROLE)
def token_list(request):
    return render(
        request,
        "portal/token_list.html",
        {
            "tokens": AccessToken.objects.filter(user=request.user),
            # Filled in again when a kept creation could not be done (kept_actions).
            "form": TokenForm(
                kept_actions.refill(request, reverse("portal:token_create")), user=request.user
            ),
            "may_hold": scopes_for(request.user),
            # Shown once: taken out of the session as the page renders.
            "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        },
    )


def _refused(request, form):
    tokens = AccessToken.objects.filter(user=request.user)
    context = {"tokens": tokens, "form": form, "may_hold": scopes_for(request.user)}
    return render(request, "portal/token_list.html", context, status=400)


@require_POST
@role_required(*ANY_ROLE)
@recent_auth_required(privileged_seconds=settings.TOKEN_REAUTH_SECONDS_PRIVILEGED)
def token_create(request):
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _refused(request, form)
    try:
        with transaction.atomic():
            token, raw = AccessToken.create_for(
                request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                scopes=form.cleaned_data["scopes"] or None,
            )
            audit.record(
                "token.created",
                target=token,
                details={
                    "name": token.name,
                    "prefix": token.prefix,
                    "expires_at": token.expires_at,
                    "scopes": token.scopes,
                },
            )
    except TokenRefused as refusal:
        form.add_error(None, str(refusal))
        return _refused(request, form)
    request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "secret": raw}
    return redirect("portal:token_list")


@require_POST
@role_required(*ANY_ROLE)
def token_revoke(request, token_id: int):
    with transaction.atomic():
        token = get_object_or_404(
            AccessToken.objects.select_for_update(), pk=token_id, user=request.user
        )
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record("token.revoked", target=token, details={"prefix": token.prefix})
    messages.success(request, f"Token “{token.name}” is revoked. Scripts using it now get 401.")
    return redirect("portal:token_list")
