"""A withdrawn case takes no more answers: its open information requests close."""

from datetime import timedelta

from django.utils import timezone

from portal.cases.services import lifecycle as case_services
from reviews.models import InformationRequest
from reviews.services import assignments as assignment_services
from reviews.services import requests as request_services
from tests.cases.conftest import (  # noqa: F401
    make_ready_draft,
    media_root,
    ready_draft,
)


def test_withdrawing_a_case_closes_its_open_requests(
    ready_draft,  # noqa: F811
    submitter,
    coordinator,
    reviewer,
    caisi,
):
    case_services.submit_case(actor=submitter, case_id=ready_draft.pk)
    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=ready_draft.pk,
        reviewer=reviewer,
        role="lead",
        due_date=timezone.localdate() + timedelta(days=30),
    )
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    request = request_services.open_request(
        actor=reviewer,
        case_id=ready_draft.pk,
        question="Which tools did the agent have?",
        response_due=timezone.localdate() + timedelta(days=10),
    )

    case_services.withdraw_case(actor=submitter, case_id=ready_draft.pk, reason="Cancelled.")

    request.refresh_from_db()
    assert request.status == InformationRequest.Status.WITHDRAWN
    ready_draft.refresh_from_db()
    assert not ready_draft.clock_paused
