"""Email delivery: each notification once, or all of a reader's in a daily digest.

Both are Celery tasks that claim their rows before mailing, so a retried or
redelivered task never mails twice. ``portal.notifications.services.notify``
queues ``send_notification_emails`` on commit; beat runs the digest daily.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from portal.accounts.models import User
from portal.core.words import counted
from portal.notifications.models import Notification


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
        if recipient.email_delivery != User.EmailDelivery.IMMEDIATE:
            continue  # the daily digest carries it
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


@shared_task(
    name="portal.send_daily_digests",
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_kwargs={"max_retries": 5},
)
def send_daily_digests() -> int:
    """One email per digest reader with their notifications not yet emailed.

    The rows are claimed (emailed_at set where still empty) before the mail is
    sent, so two runs never send the same notification twice.
    """
    sent = 0
    readers = (
        User.objects.filter(
            is_active=True,
            email_delivery=User.EmailDelivery.DAILY_DIGEST,
            notifications__emailed_at__isnull=True,
        )
        .exclude(email="")
        .distinct()
    )
    for reader in readers.iterator(chunk_size=200):
        ids = list(
            Notification.objects.filter(recipient=reader, emailed_at__isnull=True).values_list(
                "pk", flat=True
            )[:200]
        )
        now = timezone.now()
        claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(
            emailed_at=now
        )
        if not claimed:
            continue
        items = list(Notification.objects.filter(pk__in=ids, emailed_at=now).order_by("created_at"))
        context = {"reader": reader, "notifications": items, "site_url": settings.SITE_URL}
        try:
            send_mail(
                subject="[Frontier Review Portal] Your daily digest: "
                + counted(len(items), "update"),
                message=render_to_string("portal/email/digest.txt", context),
                html_message=render_to_string("portal/email/digest.html", context),
                from_email=None,
                recipient_list=[reader.email],
            )
        except OSError:
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=None)
            raise
        sent += 1
    return sent
