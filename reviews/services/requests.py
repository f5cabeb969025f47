"""Writing information requests: the reviewers ask, the developer answers or they withdraw.

The review clock pauses while a request is open and resumes when none is.
"""

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from portal.accounts.selectors import developer_people
from portal.audit import events as audit
from portal.cases.access import is_developer_member
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import locked_case
from portal.files.store import storing
from portal.files.uploads import StreamedFile
from portal.notifications.services import notify
from reviews.models import (
    InformationRequest,
    RequestAttachment,
)
from reviews.services.base import (
    ReviewActionRefused,
    coordinator_of_routed_agency,
    developer_review_url,
    section_url,
    working_reviewer,
)


def open_request(*, actor, case_id: int, question: str, response_due: date) -> InformationRequest:
    question = question.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        assignment = working_reviewer(actor, case)
        if case.status not in (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
            raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
        if not question:
            raise ReviewActionRefused("Write the question for the developer.")
        if response_due <= timezone.localdate():
            raise ReviewActionRefused("The response due date must be after today.")
        request = InformationRequest.objects.create(
            case=case,
            asked_by=actor,
            agency=assignment.agency,
            question=question,
            response_due=response_due,
        )
        audit.record(
            "request.opened",
            actor=actor,
            target=case,
            details={"request": request.pk, "response_due": response_due},
        )
        if case.status == CaseStatus.IN_REVIEW:
            case_services.pause_for_information(
                actor=actor, case_id=case.pk, reason=f"Information request {request.pk}"
            )
        notify(
            list(developer_people(case.developer_id)),
            title=f"{request.agency.acronym} asks for information on {case.number}",
            body=(
                f"Please answer by {response_due:%B %-d, %Y}. "
                "The review clock is paused until every request is answered."
            ),
            case=case,
            url=developer_review_url(case),
        )
    return request


def answer_request(
    *, actor, request_id: int, answer: str, files: Sequence[tuple[StreamedFile, str]] = ()
) -> InformationRequest:
    answer = answer.strip()
    with storing(streamed for streamed, _name in files) as store, transaction.atomic():
        request = InformationRequest.objects.get(pk=request_id)
        case = locked_case(request.case_id)
        request = InformationRequest.objects.select_for_update().get(pk=request_id)
        if not is_developer_member(actor, case):
            raise ReviewActionRefused("Only the developer's submitters can answer.")
        if case.is_closed:
            raise ReviewActionRefused(
                f"The case is {case.get_status_display().lower()}; it takes no answers."
            )
        if request.status != InformationRequest.Status.OPEN:
            raise ReviewActionRefused(
                f"This request is {request.get_status_display().lower()}; it takes no answer."
            )
        if not answer:
            raise ReviewActionRefused("Write an answer.")
        request.status = InformationRequest.Status.ANSWERED
        request.answer = answer
        request.answered_by = actor
        request.answered_at = timezone.now()
        request.save()
        for streamed, name in files:
            store(RequestAttachment(request=request, uploaded_by=actor), streamed, name=name)
        audit.record(
            "request.answered",
            actor=actor,
            target=case,
            details={"request": request.pk, "files": len(files)},
        )
        _resume_if_none_open(case, actor)
        notify(
            [request.asked_by],
            title=f"The developer answered your request on {case.number}",
            case=case,
            url=section_url(case, "requests"),
        )
    return request


def withdraw_request(*, actor, request_id: int) -> InformationRequest:
    with transaction.atomic():
        request = InformationRequest.objects.get(pk=request_id)
        case = locked_case(request.case_id)
        request = InformationRequest.objects.select_for_update().get(pk=request_id)
        if request.asked_by_id != actor.pk:
            coordinator_of_routed_agency(actor, case)
        if request.status != InformationRequest.Status.OPEN:
            raise ReviewActionRefused(f"This request is {request.get_status_display().lower()}.")
        request.status = InformationRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
        audit.record("request.withdrawn", actor=actor, target=case, details={"request": request.pk})
        _resume_if_none_open(case, actor)
        notify(
            list(developer_people(case.developer_id)),
            title=f"{request.agency.acronym} withdrew an information request on {case.number}",
            body="It needs no answer.",
            case=case,
            url=developer_review_url(case),
        )
    return request


def _resume_if_none_open(case, actor) -> None:
    still_open = case.information_requests.filter(status=InformationRequest.Status.OPEN).exists()
    if not still_open and case.status == CaseStatus.INFO_REQUESTED:
        case_services.resume_review(actor=actor, case_id=case.pk, reason="Requests answered")
