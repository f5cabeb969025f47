"""Changing one's email address: the new address must confirm it.

The request (a recent sign-in needed, since the address receives password
resets) sends a link to the new address and a notice to the old one. The
address changes only when the person, signed in, follows the link and
confirms: once, before ``EMAIL_CHANGE_HOURS``. Opening the link changes
nothing by itself, so a mail scanner that fetches it does no harm.
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portal.accounts import kept_actions, links
from portal.accounts.forms import EmailChangeForm
from portal.accounts.models import User
from portal.accounts.session_policy import recent_auth_required
from portal.audit import events as audit


@require_http_methods(["GET", "POST"])
@recent_auth_required
def email_change(request):
    user = request.user
    # A GET shows the form filled in again when a kept request was not done.
    if request.method == "POST":
        form = EmailChangeForm(request.POST, user=user)
    else:
        form = EmailChangeForm(kept_actions.refill(request, request.path_info), user=user)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "portal/email_change.html", {"form": form}, status=400)
        new = form.cleaned_data["email"]
        token = links.make_link_token(user, links.EMAIL_CHANGE, email=new)
        link = settings.SITE_URL + reverse("email_change_confirm", kwargs={"token": token})
        context = {"person": user, "new_email": new, "link": link}
        links.send_link_email(
            to=new,
            subject="Confirm your new email address",
            template="portal/email/email_change_confirm.txt",
            context=context,
        )
        if user.email:
            links.send_link_email(
                to=user.email,
                subject="A change of your email address was requested",
                template="portal/email/email_change_notice.txt",
                context=context,
            )
        audit.record("auth.email_change_requested", target=user, details={"new_email": new})
        messages.success(
            request, f"We sent a link to {new}. Your address changes when you follow it."
        )
        return redirect("email_change")
    return render(request, "portal/email_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def email_change_confirm(request, token: str):
    """Only the person the link was made for, signed in, changes their address, once."""
    found = links.read_link_token(token, links.EMAIL_CHANGE, links.email_change_max_age())
    if found is None or found[0].pk != request.user.pk:
        return render(request, "portal/email_change_invalid.html")
    new = found[1]["email"]
    if request.method == "GET":
        return render(request, "portal/email_change_confirm.html", {"new_email": new})
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=request.user.pk)
        again = links.read_link_token(token, links.EMAIL_CHANGE, links.email_change_max_age())
        if again is None or again[0].pk != person.pk:
            return render(request, "portal/email_change_invalid.html")
        old = person.email
        person.email = new
        person.save(update_fields=["email"])
        audit.record("auth.email_changed", target=person, details={"old": old, "new": new})
    messages.success(request, f"Your email address is now {new}.")
    return redirect("email_change")
