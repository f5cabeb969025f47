"""Accepting an invitation: a person an admin created sets their first password.

The page is open to anyone (the link is the proof). The link works once — it
stops working when a password is set — and for ``INVITATION_DAYS``; an
expired, used or forged link gets a plain page that says so and changes
nothing. Two-step setup follows at the first sign-in where it is required.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from portal.accounts import links, session_policy
from portal.accounts.forms import PortalSetPasswordForm
from portal.audit import events as audit


@login_not_required
@sensitive_post_parameters()
@csrf_protect
@never_cache
def invitation_accept(request, token: str):
    """Set a first password from an invitation link, once, before it expires."""
    found = links.read_link_token(token, links.INVITATION, links.invitation_max_age())
    if found is None or found[0].has_usable_password():
        return render(request, "portal/invitation_invalid.html", status=200)
    user = found[0]
    form = PortalSetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        session_policy.end_sessions_of(user)
        audit.record("auth.invitation_accepted", actor=user, target=user)
        messages.success(request, "Your password is set. Sign in with your username and it.")
        return redirect("login")
    return render(request, "portal/invitation_accept.html", {"form": form, "person": user})
