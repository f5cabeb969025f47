"""The email outbox: claim, send, mark. A mail is never lost; at worst it goes twice,
with the same Message-ID. Sent through a real SMTP server on loopback."""

import re
import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

import portal.notifications.delivery as delivery
from portal.accounts.models import User
from portal.notifications.delivery import (
    flush_outbox,
    notification_message_id,
    send_daily_digests,
    send_notification_emails,
)
from portal.notifications.models import Notification
from tests.reminders.smtp_sink import smtp_mailers, smtp_sink


def _new_notification(person, title="Deadline in 7 days") -> Notification:
    # Created outside notify(): no task is queued, only the outbox holds it.
    return Notification.objects.create(recipient=person, title=title)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WorkerDied(BaseException):
    """What a killed worker amounts to: nothing after this point runs."""


def test_the_message_id_is_stable_and_derived_from_the_notification(coordinator):
    notification = _new_notification(coordinator)
    message_id = notification_message_id(notification)
    assert message_id == notification_message_id(Notification.objects.get(pk=notification.pk))
    assert re.fullmatch(rf"<notification-{notification.pk}\.[0-9a-f]{{16}}@localhost>", message_id)
    other = _new_notification(coordinator, title="Another")
    assert notification_message_id(other) != message_id


def test_smtp_accepts_then_the_worker_dies_the_mail_is_sent_again_with_the_same_id(
    coordinator, settings, monkeypatch
):
    notification = _new_notification(coordinator)
    with smtp_sink() as sink:
        settings.MAILERS = smtp_mailers(sink.port)
        real_deliver = delivery.deliver

        def accepted_then_killed(message, mail_connection=None):
            real_deliver(message, mail_connection)
            raise WorkerDied  # after the SMTP accept, before the mark

        now = timezone.now()
        with monkeypatch.context() as patched:
            patched.setattr(delivery, "deliver", accepted_then_killed)
            with pytest.raises(WorkerDied):
                flush_outbox(now=now)
        assert len(sink.accepted) == 1
        notification.refresh_from_db()
        assert notification.emailed_at is None  # never marked: still in the outbox
        # Booked by the dead worker's claim until it runs out; then sent again.
        assert flush_outbox(now=now + timedelta(seconds=settings.EMAIL_CLAIM_SECONDS - 1)) == 0
        assert flush_outbox(now=now + timedelta(seconds=settings.EMAIL_CLAIM_SECONDS + 1)) == 1
        assert flush_outbox(now=now + timedelta(hours=1)) == 0

    first, second = sink.accepted
    assert first["Message-ID"] == second["Message-ID"] == notification_message_id(notification)
    assert first["To"] == second["To"] == "coordinator@example.test"
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert notification.email_attempts == 2


def test_smtp_down_is_retried_with_backoff_then_sent(coordinator, settings):
    notification = _new_notification(coordinator)
    waiting = _new_notification(coordinator, title="Also waiting")
    settings.MAILERS = smtp_mailers(_closed_port())  # nothing listens: connection refused
    start = timezone.now()
    assert flush_outbox(now=start) == 0
    notification.refresh_from_db()
    assert (notification.email_attempts, notification.emailed_at) == (1, None)
    assert notification.email_due_at == start + timedelta(minutes=1)
    # The first failure stops the flush: the second mail was not even tried.
    assert Notification.objects.get(pk=waiting.pk).email_attempts == 0

    # Before the backoff ends nothing is tried; after it, the next attempt waits twice as long.
    assert flush_outbox(now=start + timedelta(seconds=30)) == 0
    notification.refresh_from_db()
    assert notification.email_attempts == 1
    second_try = start + timedelta(minutes=1, seconds=1)
    assert flush_outbox(now=second_try) == 0
    notification.refresh_from_db()
    assert notification.email_attempts == 2
    assert notification.email_due_at == second_try + timedelta(minutes=2)

    with smtp_sink() as sink:
        settings.MAILERS = smtp_mailers(sink.port)
        assert flush_outbox(now=second_try + timedelta(minutes=2, seconds=1)) == 2
    assert sorted(message["Subject"] for message in sink.accepted) == [
        "[Frontier Review Portal] Also waiting",
        "[Frontier Review Portal] Deadline in 7 days",
    ]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_the_backoff_doubles_up_to_an_hour():
    assert [delivery.retry_delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]


def test_the_queued_task_and_the_flush_never_both_send(coordinator):
    notification = _new_notification(coordinator)
    assert send_notification_emails([notification.pk]) == 1
    assert flush_outbox() == 0
    assert send_notification_emails([notification.pk]) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == notification_message_id(notification)


def test_the_outbox_holds_only_mail_someone_should_get(coordinator, reviewer, submitter):
    reviewer.is_active = False
    reviewer.save()
    submitter.email = ""
    submitter.save()
    for person in (coordinator, reviewer, submitter):
        _new_notification(person)
    coordinator_digest = _new_notification(coordinator, title="For the digest")
    User.objects.filter(pk=coordinator.pk).update(email_delivery=User.EmailDelivery.DAILY_DIGEST)
    assert flush_outbox() == 0
    assert mail.outbox == []
    # The digest carries the coordinator's.
    assert send_daily_digests() == 1
    assert Notification.objects.get(pk=coordinator_digest.pk).emailed_at is not None


def test_a_digest_whose_send_fails_is_sent_by_a_later_run(coordinator, monkeypatch):
    User.objects.filter(pk=coordinator.pk).update(email_delivery=User.EmailDelivery.DAILY_DIGEST)
    _new_notification(coordinator)

    def mail_server_down(message, mail_connection=None):
        raise ConnectionRefusedError("mail server down")

    now = timezone.now()
    with monkeypatch.context() as patched:
        patched.setattr(delivery, "deliver", mail_server_down)
        with pytest.raises(OSError):
            send_daily_digests(now=now)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 1
    assert send_daily_digests(now=now) == 0  # backing off
    assert send_daily_digests(now=now + timedelta(minutes=2)) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<digest-")


def test_beat_flushes_the_outbox_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["email-outbox"]
    assert entry == {"task": "portal.flush_email_outbox", "schedule": 60}
    from portal.notifications.tasks import delivery as registered

    assert registered.flush_email_outbox.name == "portal.flush_email_outbox"
