"""The deadline sweep: find due reminders, claim each once, notify.

Apps register reminder sources through ``portal.core.hooks.reminder_source``
from their ``AppConfig.ready()``, so the sweep runs reminders for reviews and
access without importing them. A source is a function ``(at) -> iterable of
Reminder``; it picks the nearest threshold an item has reached, so a sweep
that was missed for days sends one reminder per item, not a burst of stale
ones.

Exactly once: each reminder's key (kind, subject, threshold) is inserted into
``SentReminder`` in the same transaction that creates its notifications and
queues their emails on commit. A concurrent sweep blocks on the same key and
then finds it taken; a re-run finds it taken at once.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.accounts.models import User
from portal.core.hooks import SOURCES, Reminder
from portal.notifications.delivery import send_notification_emails
from portal.notifications.models import Notification, SentReminder

logger = logging.getLogger(__name__)


def nearest_threshold(days_left: int, thresholds: Iterable[int]) -> int | None:
    """The smallest threshold the item has reached: 2 days left of (14, 7, 3, 1) → 3."""
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


class _AlreadySent(Exception):
    """The reminder's key was claimed before (by an earlier or a concurrent sweep)."""


def send_once(reminder: Reminder) -> bool:
    """Claim the reminder's key and notify its recipients, in one transaction.

    Returns False when the key was already taken (sent before) or nobody is
    left to tell (then nothing is claimed, and a later sweep may send it).
    """
    from portal.notifications.services import notify

    # Who is still there to be told, and what to tell them, before the claim:
    # the claim then records how many were told in the same insert.
    people = [person for person in reminder.recipients() if person.is_active]
    if not people:
        return False
    body = render_to_string(reminder.template, reminder.context).strip()
    try:
        with transaction.atomic():
            try:
                # The claim is the transaction's first statement: an integrity
                # error here means "sent before" and rolls back nothing else.
                # One anywhere else is a bug and must not pass silently.
                SentReminder.objects.create(
                    kind=reminder.kind,
                    subject=reminder.subject_key,
                    threshold=reminder.threshold_key,
                    recipients=len(people),
                )
            except IntegrityError as taken:
                raise _AlreadySent from taken
            notify(people, title=reminder.title, body=body, case=reminder.case, url=reminder.url)
    except _AlreadySent:
        return False
    return True


def run_sweep(at: datetime | None = None) -> dict[str, int]:
    """Send every reminder due at ``at`` (default now). Returns the count per kind."""
    at = at or timezone.now()
    counts = {}
    for kind, _description, source in SOURCES:
        sent = 0
        for batch in _batches(source(at), CLAIM_CHECK_BATCH):
            # One query per batch skips what was sent before; a reminder sent
            # meanwhile by a concurrent sweep still loses at its claim below.
            taken = _already_claimed(batch)
            for reminder in batch:
                key = (reminder.kind, reminder.subject_key, reminder.threshold_key)
                if key not in taken and send_once(reminder):
                    sent += 1
        counts[kind] = sent
    counts["pending emails"] = send_missed_emails(at)
    return counts


CLAIM_CHECK_BATCH = 500


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _already_claimed(reminders: list[Reminder]) -> set[tuple[str, str, str]]:
    """The keys of these reminders that are already in SentReminder (one query)."""
    return set(
        SentReminder.objects.filter(
            kind__in={r.kind for r in reminders},
            subject__in={r.subject_key for r in reminders},
        ).values_list("kind", "subject", "threshold")
    )


def send_missed_emails(at: datetime, *, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Emails whose task never ran (a broker outage): send them now.

    ``send_notification_emails`` claims each row before sending, so a task
    that was only late, not lost, cannot send a second copy.
    """
    pending = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lte=at - older_than,
            recipient__is_active=True,
            recipient__email_delivery=User.EmailDelivery.IMMEDIATE,
        )
        .exclude(recipient__email="")
        .values_list("pk", flat=True)[:5000]
    )
    sent = 0
    for start in range(0, len(pending), 500):
        try:
            sent += send_notification_emails(pending[start : start + 500])
        except OSError:
            # The mail server is down: the rest waits for the next sweep, and the
            # reminders this sweep already sent stay sent.
            logger.exception("Could not send missed emails; the next sweep tries again.")
            break
    return sent
