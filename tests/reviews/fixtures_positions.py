"""A case with two agencies: CAISI leads, NSA participates.

Take the fixtures with ``from tests.reviews.fixtures_positions import *`` (they
bring the request fixtures along) and the helpers by name.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.cases.services import lifecycle as case_services
from reviews.services import positions as position_services
from reviews.services import recommendations as recommendation_services
from tests.conftest import Role, make_person
from tests.reviews.fixtures_requests import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_requests import __all__ as request_fixtures

__all__ = [*request_fixtures, "joint_case", "drafted_joint_case", "nsa_reviewer"]

SUMMARY = "Strong cyber-offense uplift on the CTF range; no CBRN uplift found."
CONDITIONS = "Only if the code tool stays behind the enterprise tier."
DISSENT = "The red-team coverage of autonomy is too thin to recommend release."
FOR_OPERATORS = "Patch the listed CVEs before the public release of the model."


@pytest.fixture
def nsa_reviewer(nsa):
    return make_person("nsa_reviewer", unit=nsa, role=Role.REVIEWER)


@pytest.fixture
def joint_case(case_in_review, coordinator, nsa, nsa_coordinator):
    """The case in review at CAISI (its lead reviewer accepted), routed to NSA too."""
    case_services.route_case(actor=coordinator, case_id=case_in_review.pk, agency=nsa)
    case_in_review.refresh_from_db()
    return case_in_review


@pytest.fixture
def drafted_joint_case(joint_case, lead):
    draft(lead, joint_case)
    return joint_case


def draft(actor, case, **fields):
    values = {
        "outcome": "mitigations",
        "summary": SUMMARY,
        "conditions": "",
        "for_operators": FOR_OPERATORS,
    } | fields
    return recommendation_services.draft_recommendation(actor=actor, case_id=case.pk, **values)


def record(actor, case, stance="conditions", text=CONDITIONS, marking="interagency"):
    return position_services.record_position(
        actor=actor, case_id=case.pk, stance=stance, text=text, marking=marking
    )


def set_deadline(actor, case, days=5):
    return position_services.set_response_deadline(
        actor=actor, case_id=case.pk, deadline=timezone.localdate() + timedelta(days=days)
    )


def issue(actor, case):
    return recommendation_services.issue_recommendation(actor=actor, case_id=case.pk)


def recommendation_url(case) -> str:
    return reverse("reviews:case_recommendation", args=[case.pk])


def position_form(stance="conditions", text=CONDITIONS, marking="interagency") -> dict:
    return {"position-stance": stance, "position-text": text, "position-marking": marking}


def amendment_form(stance="dissent", text=DISSENT, marking="interagency", reason="New tests."):
    return {
        "amendment-stance": stance,
        "amendment-text": text,
        "amendment-marking": marking,
        "amendment-reason": reason,
    }
