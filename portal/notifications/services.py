"""Tell people something: an in-app notification, and an email sent on commit."""

import logging

from django.db import transaction

from portal.accounts.models import User
from portal.notifications.delivery import send_notification_emails
from portal.notifications.models import Notification

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue a Celery task once the transaction commits, without letting a broker
    outage fail the request: the change is already saved, and the deadline
    sweep sends whatever the task would have sent."""

    def send():
        try:
            task.apply_async(args=args)
        except Exception:  # noqa: BLE001  (any broker error: log it, the sweep catches up)
            logger.exception(
                "Could not queue %s; the next deadline sweep will catch up.", task.name
            )

    transaction.on_commit(send)


def notify(
    recipients, *, title: str, body: str = "", case=None, url: str = ""
) -> list[Notification]:
    """Create one notification per active recipient and queue their emails.

    People who chose the daily digest get theirs in the digest. The emails are
    queued only when the surrounding transaction commits, so a rolled-back
    change never mails anyone.
    """
    people = {person.pk: person for person in recipients if person.is_active}
    notifications = Notification.objects.bulk_create(
        Notification(recipient=person, title=title[:200], body=body, case=case, url=url)
        for person in people.values()
    )
    immediate = [
        n.pk
        for n in notifications
        if people[n.recipient_id].email_delivery == User.EmailDelivery.IMMEDIATE
    ]
    if immediate:
        enqueue_on_commit(send_notification_emails, immediate)
    return notifications
