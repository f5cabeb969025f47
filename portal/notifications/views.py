from html import escape

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.models import User
from portal.core.forms import UswdsFormMixin
from portal.notifications.models import Notification


class EmailDeliveryForm(UswdsFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["email_delivery"]
        labels = {"email_delivery": "Send me emails"}
        widgets = {"email_delivery": forms.RadioSelect}


SHOWN = ("title", "body", "url", "created_at", "read_at", "retracted_at")
NEW_TAG = '<span class="usa-tag">New</span> '
RETRACTED_TAG = '<span class="usa-tag portal-tag--warning">Retracted</span> '


def _when(moment) -> str:
    """As the template's ``date:"Y-m-d H:i"``: in the current time zone."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def notification_item(notification) -> SafeString:
    """One notification of the list, written once in Python (as ``reviews.rows``): 30 of
    them in the template language were most of the page's time."""
    unread = notification.read_at is None
    title = escape(notification.title)
    if notification.url:
        title = f'<a class="usa-link" href="{escape(notification.url)}">{title}</a>'
    body = f'<p class="margin-top-05">{escape(notification.body)}</p>' if notification.body else ""
    retracted = notification.retracted_at
    retracted_note = (
        f" · retracted {_when(retracted)}: what it told of no longer holds" if retracted else ""
    )
    return mark_safe(  # noqa: S308  # safe: every value is escaped here
        f'<li class="portal-notification{" portal-notification--unread" if unread else ""}">'
        f'<p class="margin-bottom-0"><strong>{NEW_TAG if unread else ""}'
        f"{RETRACTED_TAG if retracted else ''}{title}</strong></p>"
        f"{body}"
        f'<p class="usa-hint margin-top-0">{_when(notification.created_at)}{retracted_note}</p>'
        "</li>"
    )


@require_GET
def notification_list(request):
    # Only what a row shows: no case joined, no email outbox columns.
    notifications = Notification.objects.filter(recipient=request.user).only(*SHOWN)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notification.item = notification_item(notification)
    return render(
        request,
        "portal/notifications.html",
        {"page": page, "delivery_form": EmailDeliveryForm(instance=request.user)},
    )


@require_POST
def notifications_mark_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("portal:notification_list")


@require_POST
def email_delivery(request):
    form = EmailDeliveryForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, f"Emails: {request.user.get_email_delivery_display().lower()}.")
    else:
        messages.error(request, "Choose how you want to receive emails.")
    return redirect("portal:notification_list")
