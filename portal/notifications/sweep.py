"""The deadline sweep: find due reminders, claim each once, notify — a batch at a time.

Apps register reminder sources through ``portal.core.hooks.reminder_source``
from their ``AppConfig.ready()``, so the sweep runs reminders for reviews and
access without importing them. A source is a function ``(at) -> iterable of
Reminder``; it picks the nearest threshold an item has reached, so a sweep
that was missed for days sends one reminder per item, not a burst of stale
ones. With it comes ``recipients_in_bulk``, which answers who is still there to
be told of a whole batch of its reminders in a few queries.

The sweep's queries grow with its batches (``SWEEP_BATCH`` reminders), not with
its reminders: per batch, one query skips what was sent before, the source's
few resolve the recipients, one insert claims the batch, one creates its
notifications, and one task queued on commit emails them.

Exactly once: each reminder's key (kind, subject, threshold) is inserted into
``SentReminder`` by ``INSERT … ON CONFLICT DO NOTHING RETURNING``, in the same
transaction that creates its notifications and queues their emails on commit;
only the keys the insert returns are notified. A concurrent sweep's insert
waits for the first one's transaction and then returns none of its keys; a
re-run finds them taken at once. The keys go in sorted, so two sweeps that
claim overlapping batches take their locks in the same order and never deadlock.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.accounts.models import User
from portal.core.hooks import RECIPIENTS_IN_BULK, SOURCES, Reminder
from portal.notifications.delivery import send_notification_emails
from portal.notifications.models import Notification, SentReminder

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500

Key = tuple[str, str, str]


def nearest_threshold(days_left: int, thresholds: Iterable[int]) -> int | None:
    """The smallest threshold the item has reached: 2 days left of (14, 7, 3, 1) → 3."""
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


def _key(reminder: Reminder) -> Key:
    return (reminder.kind, reminder.subject_key, reminder.threshold_key)


def send_once(reminder: Reminder) -> bool:
    """Claim the reminder's key and notify its recipients, in one transaction.

    Returns False when the key was already taken (sent before) or nobody is
    left to tell (then nothing is claimed, and a later sweep may send it).
    """
    return send_batch([reminder]) == 1


def send_batch(reminders: list[Reminder]) -> int:
    """Claim and send each of these reminders not sent before; returns how many were sent.

    Who is told is resolved just before the claim, for the whole batch: a
    reminder with nobody left to tell is not claimed, so a later sweep may send it.
    """
    from portal.notifications.services import Notice, notify_many

    taken = _already_claimed(reminders)
    fresh: dict[Key, Reminder] = {}
    for reminder in reminders:
        key = _key(reminder)
        if key not in taken:
            fresh.setdefault(key, reminder)
    if not fresh:
        return 0
    due = list(fresh.values())
    people = {
        _key(reminder): [person for person in told if person.is_active]
        for reminder, told in zip(due, _recipients(due), strict=True)
    }
    due = [reminder for reminder in due if people[_key(reminder)]]
    if not due:
        return 0
    # Rendered before the claim: a template error must not claim a reminder for nothing.
    bodies = {_key(r): render_to_string(r.template, r.context).strip() for r in due}
    with transaction.atomic():
        claimed = _claim({_key(r): len(people[_key(r)]) for r in due})
        notify_many(
            [
                Notice(people[key], r.title, bodies[key], r.case, r.url)
                for r in due
                if (key := _key(r)) in claimed
            ]
        )
    return len(claimed)


def _recipients(reminders: list[Reminder]) -> list[list]:
    """Who is told of each reminder, in order: the source's bulk answer for a sweep
    source, else each reminder's own (a one-off notice)."""
    by_kind: dict[str, list[int]] = {}
    for index, reminder in enumerate(reminders):
        by_kind.setdefault(reminder.kind, []).append(index)
    answers: list[list] = [[] for _ in reminders]
    for kind, indexes in by_kind.items():
        group = [reminders[i] for i in indexes]
        if kind in RECIPIENTS_IN_BULK:
            told = RECIPIENTS_IN_BULK[kind](group)
        else:
            told = [list(r.recipients()) if r.recipients else [] for r in group]
        for index, people in zip(indexes, told, strict=True):
            answers[index] = list(people)
    return answers


def _claim(recipients_by_key: dict[Key, int]) -> set[Key]:
    """Insert the keys into SentReminder, skipping those taken; the ones inserted.

    One statement for the batch. PostgreSQL and SQLite (3.35 and later) both
    read ``ON CONFLICT DO NOTHING RETURNING``; Django's ``bulk_create(...,
    ignore_conflicts=True)`` would not say which rows went in.
    """
    if not connection.features.can_return_rows_from_bulk_insert:
        raise RuntimeError("The deadline sweep needs INSERT … RETURNING (SQLite 3.35 or later).")
    table = connection.ops.quote_name(SentReminder._meta.db_table)
    keys = sorted(recipients_by_key)
    now = timezone.now()
    params: list = []
    for kind, subject, threshold in keys:
        params += [kind, subject, threshold, now, recipients_by_key[(kind, subject, threshold)]]
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(keys))
    # Safe: the table name is the model's; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (kind, subject, threshold, sent_at, recipients) "  # noqa: S608
        f"VALUES {rows} ON CONFLICT (kind, subject, threshold) DO NOTHING "
        "RETURNING kind, subject, threshold"
    )
    with connection.cursor() as cursor:
        # Safe: the statement above, the model's table name with parameters only.
        cursor.execute(sql, params)
        return {tuple(row) for row in cursor.fetchall()}


def run_sweep(at: datetime | None = None) -> dict[str, int]:
    """Send every reminder due at ``at`` (default now). Returns the count per kind."""
    at = at or timezone.now()
    counts = {}
    for kind, _description, source in SOURCES:
        counts[kind] = sum(send_batch(batch) for batch in _batches(source(at), SWEEP_BATCH))
    counts["pending emails"] = send_missed_emails(at)
    return counts


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _already_claimed(reminders: list[Reminder]) -> set[Key]:
    """The keys of these reminders that are already in SentReminder (one query).

    Only a shortcut for re-runs, which then resolve no recipients: a reminder
    claimed meanwhile by a concurrent sweep still loses at the claim itself.
    """
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
