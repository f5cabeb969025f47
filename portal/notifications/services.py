"""Tell people something: an in-app notification, and an email sent on commit."""

import logging
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Notice:
    """One thing to tell some people: a notification each, and their emails."""

    people: list
    title: str
    body: str = ""
    case: Any = None
    url: str = ""


def notify(
    recipients, *, title: str, body: str = "", case=None, url: str = ""
) -> list[Notification]:
    """Create one notification per active recipient and queue their emails.

    People who chose the daily digest get theirs in the digest. The emails are
    queued only when the surrounding transaction commits, so a rolled-back
    change never mails anyone.
    """
    return notify_many([Notice(list(recipients), title, body, case, url)])


def notify_many(notices: list[Notice]) -> list[Notification]:
    """``notify`` for many notices at once: one insert for all their notifications
    and one task for all their immediate emails (the deadline sweep's batches)."""
    rows = []
    wants_mail = {}
    for notice in notices:
        people = {person.pk: person for person in notice.people if person.is_active}
        for person in people.values():
            wants_mail[person.pk] = person.email_delivery == User.EmailDelivery.IMMEDIATE
            rows.append(
                Notification(
                    recipient=person,
                    title=notice.title[:200],
                    body=notice.body,
                    case=notice.case,
                    url=notice.url,
                )
            )
    # The queryset's bulk_create forgets these people's cached unread counts.
    notifications = Notification.objects.bulk_create(rows)
    immediate = [n.pk for n in notifications if wants_mail[n.recipient_id]]
    if immediate:
        enqueue_on_commit(send_notification_emails, immediate)
    return notifications
