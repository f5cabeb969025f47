"""Cases, assignments and requests at a known distance from their deadlines, and a
sweep that reports who was told what.

Everything is built through the services (``tests/cases/conftest.py``), with
today's real date; the sweep is then run at a chosen moment in the future, in
the portal's time zone, exactly as beat would run it on that day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Max
from django.utils import timezone

from portal.accounts.models import Agency
from portal.cases.models import CaseStatus
from portal.notifications.models import Notification, SentReminder
from portal.notifications.sweep import run_sweep
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from tests.cases.conftest import (  # noqa: F401  (fixtures, used by name)
    case_in,
    make_ready_draft,
    media_root,
    move_case,
    nsa_coordinator,
    ready_draft,
)
from tests.conftest import Role, make_person


def on(day: date, hour: int = 9) -> datetime:
    """That day at ``hour`` o'clock in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def today() -> date:
    return timezone.localdate()


@dataclass
class SweepResult:
    counts: dict[str, int]
    # (username, title) of every notification the sweep created, sorted.
    notified: list[tuple[str, str]]

    def recipients(self) -> set[str]:
        return {username for username, _ in self.notified}

    def titles(self) -> set[str]:
        return {title for _, title in self.notified}

    @property
    def reminders(self) -> int:
        return sum(count for kind, count in self.counts.items() if kind != "pending emails")


def sweep(at: datetime) -> SweepResult:
    before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    counts = run_sweep(at)
    created = Notification.objects.filter(pk__gt=before).select_related("recipient")
    return SweepResult(counts, sorted((n.recipient.username, n.title) for n in created))


def claimed(kind: str | None = None) -> list[str]:
    rows = SentReminder.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    # The key carries the deadline after "@"; tests name the threshold alone.
    return sorted(t.split("@")[0] for t in rows.values_list("threshold", flat=True))


def invite(coordinator, case, reviewer, *, due: date, role=Assignment.Role.REVIEWER):
    return assignment_services.assign_reviewer(
        actor=coordinator, case_id=case.pk, reviewer=reviewer, role=role, due_date=due
    )


def accept(reviewer, assignment) -> Assignment:
    return assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )


@pytest.fixture
def case(case_in, coordinator):  # noqa: F811  (the fixture imported above)
    """Northwind's case, submitted today and routed to CAISI: due in 90 days,
    planned for release in 120."""
    return case_in(CaseStatus.SUBMITTED)


@pytest.fixture
def assignment(case, coordinator, reviewer):
    """The CAISI reviewer's accepted assignment on the case, due in 30 days."""
    assignment = accept(reviewer, invite(coordinator, case, reviewer, due=today() + timedelta(30)))
    assignment.refresh_from_db()
    return assignment


@pytest.fixture
def oncd_coordinator(db):
    """A coordinator of an agency the case is not routed to."""
    oncd = Agency.objects.create(
        name="Office of the National Cyber Director", acronym="ONCD", slug="oncd"
    )
    return make_person("oncd-coordinator", unit=oncd, role=Role.COORDINATOR)


@pytest.fixture
def second_reviewer(caisi):
    return make_person("second-reviewer", unit=caisi, role=Role.REVIEWER)
