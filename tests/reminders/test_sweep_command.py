"""``manage.py run_deadline_sweep``: what cron or an operator runs by hand."""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.core.hooks import SOURCES
from portal.notifications.models import Notification, SentReminder


def run(*args) -> list[str]:
    out = StringIO()
    call_command("run_deadline_sweep", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_a_line_per_kind_and_the_total_last(assignment):
    at = datetime.combine(assignment.due_date - timedelta(7), time(9)).isoformat()
    lines = run("--at", f"{at}-05:00")
    assert lines[-1] == "reminders sent: 1"
    kinds = [f"{description}: " for _, description, _ in SOURCES]
    review_kinds = {
        "assignment_due",
        "assignment_overdue",
        "invitation_unanswered",
        "request_due",
        "case_due",
        "release_soon",
    }
    assert review_kinds <= {kind for kind, _, _ in SOURCES}
    for kind in kinds:
        assert len([line for line in lines if line.startswith(kind)]) == 1, kind
    assert "assignment due soon (reviewer): 1" in lines
    assert "assignment overdue (reviewer and coordinators): 0" in lines
    assert lines[-2].startswith("pending emails: ")
    assert len(lines) == len(kinds) + 2

    # Run again: every reminder was sent already.
    again = run("--at", f"{at}-05:00")
    assert again[-1] == "reminders sent: 0"
    assert "assignment due soon (reviewer): 0" in again
    assert SentReminder.objects.count() == 1


def test_a_naive_moment_is_read_in_the_portals_time_zone(assignment):
    # 01:00 on the seventh day before: in UTC that is still the eighth day before
    # in New York, which would send the 14-day reminder instead.
    at = datetime.combine(assignment.due_date - timedelta(7), time(1)).isoformat()
    assert run("--at", at)[-1] == "reminders sent: 1"
    (threshold,) = SentReminder.objects.values_list("threshold", flat=True)
    assert threshold == f"due-7@{assignment.due_date.isoformat()}"


@pytest.mark.parametrize(
    "moment", ["next tuesday", "2026-13-01T09:00:00", "2026-02-30T09:00:00", "", "25:00"]
)
def test_a_bad_moment_is_refused_and_sends_nothing(assignment, moment):
    notifications = Notification.objects.count()
    with pytest.raises(CommandError, match="--at must be an ISO-8601 date and time"):
        call_command("run_deadline_sweep", "--at", moment, stdout=StringIO())
    assert SentReminder.objects.count() == 0
    assert Notification.objects.count() == notifications


def test_without_a_moment_the_sweep_runs_now(assignment):
    # The assignment is due in 30 days: nothing yet.
    assert run()[-1] == "reminders sent: 0"
