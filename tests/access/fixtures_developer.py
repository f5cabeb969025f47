"""Shared fixtures for the developer's and the agencies' side of access.

The fixtures are named in ``__all__``: a test module takes them all with
``from tests.access.fixtures_developer import *`` and imports the helpers by
name. Cases and grants are built through the services only, as in
``tests/cases/conftest.py``.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from access import services
from portal.accounts.models import Organization
from portal.cases.models import CaseStatus
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from tests.cases.conftest import (
    case_in,
    frozen,
    make_ready_draft,
    media_root,
    move_case,
    nsa_coordinator,
    other_submitter,
    ready_draft,
)
from tests.conftest import Role, make_person

__all__ = [
    "accepted_reviewer",
    "case",
    "case_in",
    "frozen",
    "granite",
    "granite_operator",
    "live_grant",
    "make_ready_draft",
    "media_root",
    "move_case",
    "nsa_coordinator",
    "other_submitter",
    "ready_draft",
]


@pytest.fixture
def case(case_in):
    """A case in review, routed to CAISI, with one artifact (the model card)."""
    return case_in(CaseStatus.IN_REVIEW)


@pytest.fixture
def granite(db):
    return Organization.objects.create(
        name="Granite Trust Bank",
        slug="granite-trust",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


@pytest.fixture
def granite_operator(granite):
    return make_person("granite-operator", unit=granite, role=Role.SECURITY_TEAM)


@pytest.fixture
def live_grant(case, submitter, bank, operator):
    """First Harbor Bank's access to the case, open now until the planned release."""
    return give_access(submitter, case, bank)


@pytest.fixture
def accepted_reviewer(case, coordinator, reviewer):
    """The CAISI reviewer, invited to the case and working on it."""
    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role=Assignment.Role.LEAD,
        due_date=case.review_due,
    )
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    return reviewer


def give_access(submitter, case, operator_org, **arguments):
    return services.grant_access(
        actor=submitter, case_id=case.pk, operator=operator_org, **arguments
    )


def case_url(case) -> str:
    """The Operator access section of the developer's case page (access.panels)."""
    return reverse("portal:case_section", args=[case.pk, "access"])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def local_input(moment) -> str:
    """A moment as a datetime-local input sends it, in the portal's time zone."""
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
