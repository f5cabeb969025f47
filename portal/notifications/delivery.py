"""Email delivery through an outbox: every notification's mail is sent, none is lost.

The outbox is the notifications themselves: a row whose reader wants mail
and whose ``emailed_at`` is empty still has a mail to send. The worker takes
them a batch at a time (the sweep's batch, or ``FLUSH_BATCH``), and each mail is

1. **claimed** — one conditional update for the batch books the rows until
   ``email_due_at`` (``EMAIL_CLAIM_SECONDS``, five minutes), counts the attempt
   and returns the rows it booked; a worker sends only those, so rows another
   worker holds are not sent twice;
2. **sent** — over one connection to the mail server for the batch, with a
   ``Message-ID`` derived from the notification, the same on every attempt;
3. **marked** — ``emailed_at`` is set only once the mail server accepted it
   (one update for the mails of the batch it accepted).

A send that fails (the mail server is down) books the row for a later attempt,
with a backoff that doubles up to an hour, and releases the rest of the batch
for the next flush. A worker that dies after the claim
leaves the row booked until its claim ends; then it is due again. Beat flushes
the outbox every minute (``portal.flush_email_outbox``), so a mail held up by a
broker or mail-server outage goes out about a minute after it ends.

The guarantee: a mail is never lost. A worker that dies after the mail
server accepted a mail and before the batch's mark sends it once more, with the
same ``Message-ID``, so mail clients and the people reading can tell it is a
duplicate. That is the only duplicate there can be.

The daily digest claims, sends and marks the same way.
"""

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from portal.accounts.models import User
from portal.core.words import counted
from portal.notifications.models import Notification

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 3600
FLUSH_BATCH = 500


def retry_delay(attempts: int) -> timedelta:
    """After the ``attempts``-th failed attempt: 1 min, 2, 4, … at most an hour."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, LONGEST_RETRY_SECONDS))


def message_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "frontier-review-portal"


def message_id(kind: str, *parts) -> str:
    """A stable ``Message-ID``: the same for every attempt at the same mail, unguessable."""
    key = ":".join(str(part) for part in (kind, *parts))
    digest = hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).hexdigest()
    return f"<{kind}-{'-'.join(str(part) for part in parts)}.{digest[:16]}@{message_domain()}>"


def notification_message_id(notification: Notification) -> str:
    return message_id("notification", notification.pk)


def deliver(message: EmailMultiAlternatives, mail_connection=None) -> None:
    """Hand one mail to the mail server (over ``mail_connection``, open for a batch,
    else a new one); raises OSError when it cannot be reached."""
    if mail_connection is None:
        message.send()
    else:
        mail_connection.send_messages([message])


def _due(now: datetime) -> Q:
    return Q(emailed_at__isnull=True) & (Q(email_due_at__isnull=True) | Q(email_due_at__lte=now))


def claimed_until(now: datetime) -> datetime:
    """How long a claim books a row (EMAIL_CLAIM_SECONDS): far longer than one SMTP
    conversation (its timeout is 30 s), so only a dead worker's claim ever runs out."""
    return now + timedelta(seconds=settings.EMAIL_CLAIM_SECONDS)


def _claim(pks: list[int], now: datetime) -> int:
    return Notification.objects.filter(_due(now), pk__in=pks).update(
        email_due_at=claimed_until(now), email_attempts=F("email_attempts") + 1
    )


def _claim_returning(pks: list[int], now: datetime) -> set[int]:
    """``_claim``, saying which rows this worker booked (one ``UPDATE … RETURNING``;
    PostgreSQL, and SQLite from 3.35). A row another worker booked meanwhile is
    not among them: on PostgreSQL the update waits for that worker's transaction
    and then finds the row no longer due."""
    if not pks:
        return set()
    table = connection.ops.quote_name(Notification._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(pks))
    # Safe: the table name is the model's; every value is a parameter.
    sql = (
        f"UPDATE {table} SET email_due_at = %s, email_attempts = email_attempts + 1 "  # noqa: S608
        f"WHERE id IN ({placeholders}) AND emailed_at IS NULL "
        "AND (email_due_at IS NULL OR email_due_at <= %s) RETURNING id"
    )
    with connection.cursor() as cursor:
        # Safe: the statement above, the model's table name with parameters only.
        cursor.execute(sql, [adapt(claimed_until(now)), *pks, adapt(now)])
        return {row[0] for row in cursor.fetchall()}


def _release(pks: list[int]) -> None:
    """Give back rows claimed but not tried (the mail server failed before them):
    due again at once, their attempt not counted."""
    Notification.objects.filter(pk__in=pks, emailed_at__isnull=True).update(
        email_due_at=None, email_attempts=F("email_attempts") - 1
    )


def _postpone(pks: list[int], now: datetime) -> None:
    """Release a failed claim: the rows are due again after their backoff."""
    for notification in Notification.objects.filter(pk__in=pks, emailed_at__isnull=True):
        Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            email_due_at=now + retry_delay(notification.email_attempts)
        )


def outbox(now: datetime):
    """The notifications whose immediate email is due now."""
    return (
        Notification.objects.filter(
            _due(now),
            recipient__is_active=True,
            recipient__email_delivery=User.EmailDelivery.IMMEDIATE,
        )
        .exclude(recipient__email="")
        .order_by("created_at", "pk")
    )


def _notification_message(notification: Notification) -> EmailMultiAlternatives:
    context = {"notification": notification, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=f"[Frontier Review Portal] {notification.title}",
        body=render_to_string("portal/email/notification.txt", context),
        to=[notification.recipient.email],
        headers={"Message-ID": notification_message_id(notification)},
    )
    message.attach_alternative(
        render_to_string("portal/email/notification.html", context), "text/html"
    )
    return message


@shared_task(name="portal.send_notification_emails", soft_time_limit=240, time_limit=300)
def send_notification_emails(notification_ids: list[int], *, now: datetime | None = None) -> int:
    """Email each of these notifications that is due: claim, send, mark — as a batch.

    When the mail server cannot be reached, the row it failed on is booked for
    a later attempt and the rest of the batch waits for the next flush.
    """
    now = now or timezone.now()
    notifications = outbox(now).filter(pk__in=notification_ids).select_related("recipient", "case")
    # Rendered before the claim: a template error must not book rows for nothing.
    messages = {
        notification.pk: _notification_message(notification) for notification in notifications
    }
    claimed = _claim_returning(list(messages), now)
    pending = [pk for pk in messages if pk in claimed]  # oldest first, as the outbox reads
    if not pending:
        return 0  # nothing left for this worker: no connection to the mail server
    sent: list[int] = []
    failed = None  # the index in ``pending`` of the mail the server did not take
    try:
        with mailers.default as mail_connection:
            for pk in pending:
                try:
                    deliver(messages[pk], mail_connection)
                except OSError as error:
                    failed = len(sent)
                    logger.warning(
                        "Mail server unreachable (%s); notification %s is retried later.", error, pk
                    )
                    break  # the rest are due again: the next flush sends them
                sent.append(pk)
    except OSError as error:  # the connection could not be opened
        if failed is None and len(sent) < len(pending):
            failed = len(sent)
            logger.warning("Mail server unreachable (%s); the batch is retried later.", error)
    finally:
        # Marked even when the worker is stopped midway: what the server accepted stays sent.
        Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    if failed is not None:
        _postpone(pending[failed : failed + 1], now)
        _release(pending[failed + 1 :])
    return len(sent)


def flush_outbox(*, now: datetime | None = None) -> int:
    """Send every immediate email that is due, oldest first."""
    now = now or timezone.now()
    sent = 0
    while pks := list(outbox(now).values_list("pk", flat=True)[:FLUSH_BATCH]):
        flushed = send_notification_emails(pks, now=now)
        sent += flushed
        if flushed < len(pks):
            break  # the mail server is down, or other workers have the rest
    return sent


@shared_task(name="portal.flush_email_outbox", soft_time_limit=50, time_limit=58)
def flush_email_outbox() -> int:
    """Beat runs this every minute: mail held up by any outage goes out."""
    sent = flush_outbox()
    if sent:
        logger.info("Email outbox: %s", counted(sent, "mail"))
    return sent


@shared_task(
    name="portal.send_daily_digests",
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_kwargs={"max_retries": 5},
)
def send_daily_digests(*, now: datetime | None = None) -> int:
    """One email per digest reader with their notifications not yet emailed.

    The rows are claimed before the mail is sent and marked after, as single
    emails are: two runs never send the same notification twice, and a run
    that dies leaves them to the next.
    """
    now = now or timezone.now()
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
            Notification.objects.filter(_due(now), recipient=reader).values_list("pk", flat=True)[
                :200
            ]
        )
        if not ids or not _claim(ids, now):
            continue
        items = list(
            Notification.objects.filter(
                pk__in=ids, emailed_at__isnull=True, email_due_at=claimed_until(now)
            ).order_by("created_at", "pk")
        )
        if not items:
            continue
        context = {"reader": reader, "notifications": items, "site_url": settings.SITE_URL}
        message = EmailMultiAlternatives(
            subject="[Frontier Review Portal] Your daily digest: " + counted(len(items), "update"),
            body=render_to_string("portal/email/digest.txt", context),
            to=[reader.email],
            headers={"Message-ID": message_id("digest", reader.pk, items[0].pk, items[-1].pk)},
        )
        message.attach_alternative(
            render_to_string("portal/email/digest.html", context), "text/html"
        )
        try:
            deliver(message)
        except OSError:
            _postpone([item.pk for item in items], now)
            raise
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            emailed_at=timezone.now()
        )
        sent += 1
    return sent
