import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Notification

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, name="portal.ping")
def ping() -> str:
    """Answers 'pong': proves a worker is consuming from the configured broker."""
    return "pong"


@shared_task(
    name="portal.send_notification_emails",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email each notification once.

    Each row is claimed with a conditional update (emailed_at IS NULL) before
    its mail is sent, so a retried or redelivered task never mails twice.
    """
    sent = 0
    notifications = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient", "case")
    for notification in notifications:
        recipient = notification.recipient
        if not recipient.email or not recipient.is_active:
            continue
        # Rendered before the claim: a template error must not leave the row
        # marked as emailed when no mail went out.
        context = {"notification": notification, "site_url": settings.SITE_URL}
        text = render_to_string("portal/email/notification.txt", context)
        html = render_to_string("portal/email/notification.html", context)
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if claimed != 1:
            continue
        try:
            send_mail(
                subject=f"[Frontier Review Portal] {notification.title}",
                message=text,
                html_message=html,
                from_email=None,
                recipient_list=[recipient.email],
            )
        except OSError:
            # Release the claim so the retry sends it.
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent
