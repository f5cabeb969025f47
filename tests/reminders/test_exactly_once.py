"""Each reminder and each email goes out once: re-runs, parallel sweeps, retried and
redelivered tasks, and emails whose task never ran."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from portal.notifications.delivery import send_notification_emails
from portal.notifications.models import Notification, SentReminder
from portal.notifications.services import notify
from portal.notifications.sweep import run_sweep, send_missed_emails
from tests.reminders.conftest import on, sweep


def test_a_second_sweep_at_the_same_moment_sends_nothing(assignment):
    at = on(assignment.due_date - timedelta(7))
    first = sweep(at)
    assert first.reminders == 1
    rows = list(SentReminder.objects.values_list("kind", "subject", "threshold", "recipients"))
    key = f"due-7@{assignment.due_date.isoformat()}"
    assert rows == [("assignment_due", f"reviews.assignment:{assignment.pk}", key, 1)]
    second = sweep(at)
    assert second.reminders == 0
    assert second.notified == []
    assert (
        list(SentReminder.objects.values_list("kind", "subject", "threshold", "recipients")) == rows
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_send_each_reminder_once(
    assignment, case, coordinator, reviewer, second_reviewer
):
    """On PostgreSQL the second sweep's claim waits for the first one's transaction,
    then finds the key taken."""
    from tests.reminders.conftest import accept, invite

    other = accept(
        second_reviewer, invite(coordinator, case, second_reviewer, due=assignment.due_date)
    )
    at = on(assignment.due_date + timedelta(1))  # both overdue: reviewer + coordinator each
    before = Notification.objects.count()
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(run_sweep(at))
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r["assignment_overdue"] for r in results) in ([0, 2], [1, 1])
    assert sorted(SentReminder.objects.values_list("subject", flat=True)) == sorted(
        f"reviews.assignment:{pk}" for pk in (assignment.pk, other.pk)
    )
    reminders = Notification.objects.filter(title__contains="overdue")
    assert Notification.objects.count() - before == reminders.count() == 4
    assert sorted(reminders.values_list("recipient__username", flat=True)) == [
        "coordinator",
        "coordinator",
        "reviewer",
        "second-reviewer",
    ]
    # Each reminder was emailed once (eagerly, on commit).
    assert sorted(m.to[0] for m in mail.outbox if "overdue" in m.subject) == [
        "coordinator@example.test",
        "coordinator@example.test",
        "reviewer@example.test",
        "second-reviewer@example.test",
    ]


def test_a_retried_or_redelivered_email_task_sends_one_email(coordinator):
    [notification] = notify([coordinator], title="New case FMR-2026-0001")
    assert send_notification_emails([notification.pk]) == 1
    assert send_notification_emails([notification.pk]) == 0
    assert [m.to for m in mail.outbox] == [["coordinator@example.test"]]
    assert mail.outbox[0].subject == "[Frontier Review Portal] New case FMR-2026-0001"


def test_a_worker_that_loses_the_race_for_a_notification_sends_nothing(coordinator, monkeypatch):
    """Two workers hold the same notification (a redelivered message, or the sweep's
    catch-up): the one whose conditional claim changes no row sends nothing."""
    [notification] = notify([coordinator], title="New case FMR-2026-0004")
    import portal.notifications.delivery

    real_render = portal.notifications.delivery.render_to_string

    def render_while_the_other_worker_claims_it(*args, **kwargs):
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        return real_render(*args, **kwargs)

    monkeypatch.setattr(
        portal.notifications.delivery, "render_to_string", render_while_the_other_worker_claims_it
    )
    assert send_notification_emails([notification.pk]) == 0
    assert mail.outbox == []


def test_a_failed_send_books_a_retry_that_then_sends_it(coordinator, monkeypatch):
    [notification] = notify([coordinator], title="New case FMR-2026-0002")
    import portal.notifications.delivery

    def mail_server_down(message, mail_connection=None):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(portal.notifications.delivery, "deliver", mail_server_down)
        assert send_notification_emails([notification.pk]) == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert notification.email_attempts == 1
    # Not again before its backoff ends; then it goes.
    assert send_notification_emails([notification.pk]) == 0
    later = notification.email_due_at + timedelta(seconds=1)
    assert send_notification_emails([notification.pk], now=later) == 1
    assert len(mail.outbox) == 1


def test_the_sweep_sends_emails_whose_task_never_ran_and_a_late_task_sends_nothing(
    coordinator,
):
    # In this test the transaction never commits: the queued task never runs,
    # as when the broker lost it.
    [lost] = notify([coordinator], title="New case FMR-2026-0003")
    created = Notification.objects.get(pk=lost.pk).created_at
    # Too young: its task may only be late.
    assert send_missed_emails(created + timedelta(minutes=4)) == 0
    assert mail.outbox == []
    assert send_missed_emails(created + timedelta(minutes=5, seconds=1)) == 1
    assert [m.to for m in mail.outbox] == [["coordinator@example.test"]]
    # The task turns up after all: nothing more.
    assert send_notification_emails([lost.pk]) == 0
    assert send_missed_emails(created + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_missed_emails_skip_deactivated_people_and_people_without_an_address(
    coordinator, reviewer, submitter
):
    reviewer.is_active = False
    reviewer.save()
    submitter.email = ""
    submitter.save()
    notify([coordinator, submitter], title="Reminder")
    Notification.objects.create(recipient=reviewer, title="Old, before deactivation")
    assert send_missed_emails(timezone.now() + timedelta(minutes=6)) == 1
    assert [m.to for m in mail.outbox] == [["coordinator@example.test"]]


def test_a_mail_server_outage_does_not_fail_the_sweep(assignment, monkeypatch):
    import portal.notifications.delivery

    def mail_server_down(message, mail_connection=None):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(portal.notifications.delivery, "deliver", mail_server_down)
    result = sweep(on(assignment.due_date - timedelta(7)))
    # The reminder is recorded and in the app; its email waits for the next sweep.
    assert result.counts["assignment_due"] == 1
    assert result.counts["pending emails"] == 0
    assert Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_moved_due_date_arms_the_reminders_again(assignment, coordinator):
    from reviews.services.assignments import change_due_date

    first = sweep(on(assignment.due_date - timedelta(7)))
    assert first.reminders == 1
    # The coordinator gives the reviewer a week more: the 7-day reminder comes again
    # a week later, for the new date, and once only.
    new_due = assignment.due_date + timedelta(7)
    change_due_date(actor=coordinator, assignment_id=assignment.pk, due_date=new_due)
    assert sweep(on(new_due - timedelta(7))).reminders == 1
    assert sweep(on(new_due - timedelta(7))).reminders == 0
