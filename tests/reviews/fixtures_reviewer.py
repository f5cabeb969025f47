"""Shared fixtures for the reviewer's pages: a case under review, every persona of the
marking matrix, and helpers to record findings through the services.

The fixtures are named in ``__all__``: a test module takes them all with
``from tests.reviews.fixtures_reviewer import *`` and imports the helpers by name.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from portal.accounts.models import Agency, Organization
from portal.accounts.permissions import grant
from portal.cases.access import READ_OPERATOR_FINDINGS
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.files.uploads import HashingWriter
from reviews.models import Assignment, Finding, Marking, Severity
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
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
    "case_in",
    "make_ready_draft",
    "media_root",
    "move_case",
    "nsa_coordinator",
    "nsa_reviewer",
    "oncd_coordinator",
    "other_bank",
    "other_operator",
    "other_submitter",
    "ready_draft",
    "review_case",
    "lead_assignment",
    "personas_matrix",
]


@pytest.fixture
def nsa_reviewer(nsa):
    """A reviewer of NSA; not assigned to anything unless a test assigns them."""
    return make_person("nsa-reviewer", unit=nsa, role=Role.REVIEWER)


@pytest.fixture
def oncd_coordinator(db):
    """ONCD monitors capability jumps: it sees the case's scores, not its review."""
    oncd = Agency.objects.create(
        name="Office of the National Cyber Director",
        acronym="ONCD",
        slug="oncd",
        monitors_capability=True,
    )
    return make_person("oncd-coordinator", unit=oncd, role=Role.COORDINATOR)


@pytest.fixture
def other_submitter(other_developer):
    return make_person("other-submitter", unit=other_developer, role=Role.SUBMITTER)


@pytest.fixture
def other_bank(db):
    return Organization.objects.create(
        name="Lakeside Savings",
        slug="lakeside",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


@pytest.fixture
def other_operator(other_bank):
    """A security team whose organization has no access to the case."""
    return make_person("other-operator", unit=other_bank, role=Role.SECURITY_TEAM)


@pytest.fixture
def review_case(case_in, coordinator, nsa_coordinator, nsa):
    """In review, routed to CAISI and NSA; ``reviewer`` (CAISI) accepted it as lead."""
    case = case_in(CaseStatus.SUBMITTED)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    case.refresh_from_db()
    return case


@pytest.fixture
def lead_assignment(review_case, coordinator, reviewer):
    assignment = assign(coordinator, review_case, reviewer, role=Assignment.Role.LEAD)
    review_case.refresh_from_db()
    assert review_case.status == CaseStatus.IN_REVIEW
    return assignment


@pytest.fixture
def personas_matrix(
    lead_assignment,
    review_case,
    reviewer,
    coordinator,
    nsa_coordinator,
    nsa_reviewer,
    submitter,
    other_submitter,
    operator,
    other_operator,
    outsider,
    bank,
    oncd_coordinator,
):
    """Everyone the marking matrix asks about; the bank may read operator findings."""
    grant(READ_OPERATOR_FINDINGS, bank.group, review_case)
    return {
        "author": reviewer,
        "coordinator": coordinator,
        "nsa_coordinator": nsa_coordinator,
        "nsa_reviewer": nsa_reviewer,
        "submitter": submitter,
        "other_submitter": other_submitter,
        "operator": operator,
        "other_operator": other_operator,
        "outsider": outsider,
        "oncd_coordinator": oncd_coordinator,
    }


def invite(coordinator, case, reviewer, *, role=Assignment.Role.REVIEWER, due=None):
    return assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role=role,
        due_date=due or case.review_due - timedelta(days=10),
    )


def accept(reviewer, assignment):
    return assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )


def assign(coordinator, case, reviewer, **kwargs) -> Assignment:
    """Invited and accepted."""
    assignment = accept(reviewer, invite(coordinator, case, reviewer, **kwargs))
    assignment.refresh_from_db()
    return assignment


def streamed(body: bytes = b"proof of concept transcript"):
    writer = HashingWriter()
    writer.write(body)
    return writer.finish()


def record(
    author,
    case,
    *,
    title="Model writes working exploit",
    severity=Severity.HIGH,
    marking=Marking.AGENCY_ONLY,
    evidence: bytes | None = b"proof of concept transcript",
    description="Given a CVE, the model wrote a working exploit.",
) -> Finding:
    files = [(streamed(evidence), "transcript.txt")] if evidence is not None else []
    return finding_services.record_finding(
        actor=author,
        case_id=case.pk,
        title=title,
        category=Finding.Category.CYBER_OFFENSE,
        severity=severity,
        description=description,
        marking=marking,
        evidence=files,
    )


def mails_to(person) -> list:
    return [message for message in mail.outbox if person.email in message.to]


def mail_text(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _type in getattr(message, "alternatives", [])]
    return "\n".join(parts)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]
