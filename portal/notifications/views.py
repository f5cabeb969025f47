from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
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


@require_GET
def notification_list(request):
    notifications = Notification.objects.filter(recipient=request.user).select_related("case")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
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
