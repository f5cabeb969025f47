"""Shared fixtures for the coordinator's pages: submitted cases, reviewers, assignments.

The fixtures are named in ``__all__``: a test module takes them all with
``from tests.reviews.fixtures_coordinator import *`` (a fixture imported by name
would look unused to the linter) and imports the plain helpers by name. Cases
are built through the services only, as in ``tests/cases/conftest.py``.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from tests.cases.conftest import (
    case_in,
    make_ready_draft,
    media_root,
    move_case,
    nsa_coordinator,
    ready_draft,
)
from tests.conftest import Role, make_person

__all__ = [
    "case",
    "case_in",
    "make_ready_draft",
    "media_root",
    "move_case",
    "nsa_coordinator",
    "nsa_reviewer",
    "ready_draft",
    "second_reviewer",
    "submit_case",
]


@pytest.fixture
def case(case_in):
    """A case just submitted and routed to CAISI (the default agency)."""
    return case_in(CaseStatus.SUBMITTED)


@pytest.fixture
def second_reviewer(caisi):
    return make_person("second-reviewer", unit=caisi, role=Role.REVIEWER, first_name="Sam")


@pytest.fixture
def nsa_reviewer(nsa):
    return make_person("nsa-reviewer", unit=nsa, role=Role.REVIEWER)


@pytest.fixture
def submit_case(make_ready_draft, submitter, settings):
    """``submit_case(notice_days=90, short_notice_reason="", **fields)``: a new case,
    submitted and routed to CAISI.

    ``notice_days`` sets the review period, so cases can be due on different days.
    """

    def submit(*, notice_days: int = 90, short_notice_reason: str = "", **fields):
        settings.REVIEW_NOTICE_DAYS = notice_days
        draft = make_ready_draft(**fields)
        case = case_services.submit_case(
            actor=submitter, case_id=draft.pk, short_notice_reason=short_notice_reason
        )
        settings.REVIEW_NOTICE_DAYS = 90
        case.refresh_from_db()
        return case

    return submit


def due_in(case, days: int = -10):
    """A date relative to the case's review due date (before it, by default)."""
    return case.review_due + timedelta(days=days)


def invite(coordinator, case, reviewer, *, role=Assignment.Role.REVIEWER, due=None):
    return assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role=role,
        due_date=due or due_in(case),
    )


def accept(reviewer, assignment):
    return assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )


def declare_conflict(reviewer, assignment, other_conflict="I advised the developer last year."):
    return assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
        other_conflict=other_conflict,
    )


def assigned(coordinator, case, reviewer, **kwargs):
    """Invited and accepted: the reviewer works on the case."""
    assignment = accept(reviewer, invite(coordinator, case, reviewer, **kwargs))
    assignment.refresh_from_db()
    return assignment


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def today():
    return timezone.localdate()
