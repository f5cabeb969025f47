"""People who chose the daily digest: no email per notification, one digest with
everything not yet emailed, and never the same notification twice."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from portal.accounts.models import User
from portal.notifications.delivery import send_daily_digests
from portal.notifications.models import Notification
from portal.notifications.services import notify
from portal.notifications.sweep import send_missed_emails
from tests.conftest import make_person
from tests.reminders.conftest import on, sweep


def test_digest_readers_get_one_digest_with_all_their_unsent_notifications(
    coordinator, reviewer, django_capture_on_commit_callbacks
):
    coordinator.email_delivery = User.EmailDelivery.DAILY_DIGEST
    coordinator.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify([coordinator, reviewer], title="New case FMR-2026-0001")
    with django_capture_on_commit_callbacks(execute=True):
        notify([coordinator], title="reviewer accepted FMR-2026-0001")
    # The immediate reader was emailed at once; the digest reader was not.
    assert [m.to for m in mail.outbox] == [["reviewer@example.test"]]
    # Nor does the sweep's catch-up mail them one by one.
    assert send_missed_emails(timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1

    assert send_daily_digests() == 1
    [digest] = mail.outbox[1:]
    assert digest.to == ["coordinator@example.test"]
    assert digest.subject == "[Frontier Review Portal] Your daily digest: 2 updates"
    assert "New case FMR-2026-0001" in digest.body
    assert "reviewer accepted FMR-2026-0001" in digest.body
    assert not Notification.objects.filter(recipient=coordinator, emailed_at=None).exists()

    assert send_daily_digests() == 0
    assert len(mail.outbox) == 2


def test_notifying_only_digest_readers_queues_no_email_task(
    coordinator, django_capture_on_commit_callbacks
):
    coordinator.email_delivery = User.EmailDelivery.DAILY_DIGEST
    coordinator.save()
    with django_capture_on_commit_callbacks() as queued:
        notify([coordinator], title="New case FMR-2026-0001")
    assert _email_tasks(queued) == []
    with django_capture_on_commit_callbacks() as queued:
        notify([coordinator, make_person("immediate-reader")], title="New case FMR-2026-0002")
    assert len(_email_tasks(queued)) == 1


def _email_tasks(callbacks):
    """The on-commit callbacks other than forgetting cached unread counts."""
    return [c for c in callbacks if "forget_on_commit" not in c.__qualname__]


def test_the_next_digest_carries_only_what_came_after_the_last_one(coordinator):
    coordinator.email_delivery = User.EmailDelivery.DAILY_DIGEST
    coordinator.save()
    notify([coordinator], title="Monday's news")
    assert send_daily_digests() == 1
    notify([coordinator], title="Tuesday's news")
    assert send_daily_digests() == 1
    assert [m.subject for m in mail.outbox] == [
        "[Frontier Review Portal] Your daily digest: 1 update"
    ] * 2
    assert "Monday's news" not in mail.outbox[1].body
    assert "Tuesday's news" in mail.outbox[1].body


def test_a_digest_skips_deactivated_readers_and_immediate_readers(coordinator, reviewer):
    coordinator.email_delivery = User.EmailDelivery.DAILY_DIGEST
    coordinator.is_active = False
    coordinator.save()
    Notification.objects.create(recipient=coordinator, title="Before they left")
    notify([reviewer], title="For an immediate reader")
    assert send_daily_digests() == 0
    assert mail.outbox == []


def test_a_reminder_to_a_digest_reader_waits_for_the_digest(
    assignment, reviewer, django_capture_on_commit_callbacks
):
    reviewer.email_delivery = User.EmailDelivery.DAILY_DIGEST
    reviewer.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = sweep(on(assignment.due_date - timedelta(7)))
    assert result.counts["assignment_due"] == 1
    assert [m for m in mail.outbox if m.to == ["reviewer@example.test"]] == []
    assert send_daily_digests() == 1
    assert f"Your review of {assignment.case.number} is due in 7 days" in mail.outbox[-1].body
