"""The sweep works in batches: its queries grow with the batches, not with the reminders."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.notifications import services, sweep
from portal.notifications.models import Notification, SentReminder
from reviews.models import Assignment
from tests.reminders.conftest import on, today

User = get_user_model()
DUE = timedelta(days=30)


def _send(count: int, *, case, coordinator, queued: list, kind="assignment_due") -> int:
    """The queries of a sweep that sends ``count`` assignment reminders; undone after."""
    due = today() + DUE
    now = timezone.now()
    with transaction.atomic():
        reviewers = User.objects.bulk_create(
            User(username=f"batch-reviewer-{i}", email=f"batch-reviewer-{i}@example.test")
            for i in range(count)
        )
        Assignment.objects.bulk_create(
            Assignment(
                case=case,
                reviewer=reviewer,
                agency=coordinator.membership.agency,
                role=Assignment.Role.REVIEWER,
                due_date=due,
                status=Assignment.Status.ACCEPTED,
                invited_by=coordinator,
                responded_at=now,
                attested_at=now,
            )
            for reviewer in reviewers
        )
        queued.clear()
        with CaptureQueriesContext(connection) as queries:
            at = on(due - timedelta(7)) if kind == "assignment_due" else on(due + timedelta(1))
            counts = sweep.run_sweep(at)
        assert counts[kind] == count
        assert SentReminder.objects.filter(kind=kind).count() == count
        assert Notification.objects.filter(recipient__in=reviewers).count() == count
        transaction.set_rollback(True)
    return len(queries)


@pytest.mark.parametrize("kind", ["assignment_due", "assignment_overdue"])
def test_ten_times_the_reminders_in_one_batch_cost_the_same_queries(
    case, coordinator, monkeypatch, kind
):
    queued = []
    monkeypatch.setattr(services, "enqueue_on_commit", lambda task, ids: queued.append(ids))
    few = _send(10, case=case, coordinator=coordinator, queued=queued, kind=kind)
    # One email task for the batch (overdue: the coordinator is told of each, too).
    told = 2 if kind == "assignment_overdue" else 1
    assert [len(ids) for ids in queued] == [10 * told]
    many = _send(100, case=case, coordinator=coordinator, queued=queued, kind=kind)
    assert [len(ids) for ids in queued] == [100 * told]
    assert many == few


def test_the_sweeps_queries_grow_by_a_few_per_batch(case, coordinator, monkeypatch):
    queued = []
    monkeypatch.setattr(services, "enqueue_on_commit", lambda task, ids: queued.append(ids))
    monkeypatch.setattr(sweep, "SWEEP_BATCH", 10)
    one_batch = _send(10, case=case, coordinator=coordinator, queued=queued)
    per_batch = _send(20, case=case, coordinator=coordinator, queued=queued) - one_batch
    # Skip what was sent, resolve the recipients, claim, notify (and the savepoint's two).
    assert per_batch <= 6
    assert _send(100, case=case, coordinator=coordinator, queued=queued) == (
        one_batch + 9 * per_batch
    )
    assert [len(ids) for ids in queued] == [10] * 10


def test_the_worker_emails_a_batch_in_the_same_queries_whatever_its_size(coordinator):
    from django.core import mail

    from portal.notifications.delivery import send_notification_emails

    def queries_to_email(count: int) -> int:
        rows = services.notify_many(
            [services.Notice([coordinator], f"Reminder {i}") for i in range(count)]
        )
        with CaptureQueriesContext(connection) as queries:
            assert send_notification_emails([n.pk for n in rows]) == count
        return len(queries)

    assert queries_to_email(5) == queries_to_email(50)
    assert len(mail.outbox) == 55
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 55
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
