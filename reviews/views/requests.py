"""Information requests and the recommendation.

Agency staff work from the case workspace; the developer answers requests
from its case page (the panel in ``reviews.panels``). Every view finds its
object through an access helper (``reviews.access``: 404 alike for missing
and out of reach) and changes it only through the services; a refusal comes
back as a message (``portal.core.refusals.run_service``).
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from portal.accounts.models import Membership
from portal.accounts.session_policy import recent_auth_required
from portal.cases.models import CaseStatus
from portal.cases.services.lifecycle import CaseActionRefused
from portal.core.forms import consequence_understood, first_error
from portal.core.nonces import consume_nonce
from portal.core.refusals import run_service
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected, clean_display_name
from reviews.access import (
    RequestAudience,
    get_lead_case_or_404,
    get_request_or_404,
    get_workspace_case_or_404,
)
from reviews.forms_requests import (
    MAX_ANSWER_FILES,
    AnswerForm,
    InformationRequestForm,
    RecommendationForm,
    answer_scope,
)
from reviews.models import Assignment, InformationRequest, Recommendation
from reviews.selectors import accepted_assignment_in, is_routed_agency
from reviews.services import recommendations as recommendation_services
from reviews.services import requests as request_services

WORKING_STATUSES = (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)
# Issuing cannot be undone: it needs its "I understand" box.
ISSUE_UNDERSTOOD = (
    "The recommendation was not issued. Issuing cannot be undone: the developer and the "
    "agencies see it at once, and the draft can no longer change. Tick “I understand” to issue it."
)


def workspace_url(case_id) -> str:
    """The case's overview, where the answers of its forms (assignments) return."""
    return reverse("reviews:workspace", args=[case_id])


def section_url(section: str, case_id) -> str:
    """One section of the case workspace ("findings", "requests", …), where its forms return."""
    if section == "overview":
        return workspace_url(case_id)
    return reverse(f"reviews:case_{section}", args=[case_id])


# --- information requests -----------------------------------------------------------------


@require_POST
def request_open(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = InformationRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("requests", case.pk))
    return run_service(
        request,
        lambda: request_services.open_request(
            actor=request.user,
            case_id=case.pk,
            question=form.cleaned_data["question"],
            response_due=form.cleaned_data["response_due"],
        ),
        success="Request sent to the developer. The review clock is paused until it is answered.",
        redirect_to=section_url("requests", case.pk),
    )


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _answer runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def request_answer(request, request_id):
    # Decide who may answer before a byte of the body is read: a person out of
    # reach gets 404 without their files being streamed to disk first.
    info_request = get_request_or_404(request.user, request_id, audience=RequestAudience.DEVELOPER)
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _answer(request, info_request, handler)
    finally:
        # Also when the CSRF check refuses the post: the body was parsed by then.
        handler.discard_all()


@csrf_protect
def _answer(request, info_request, handler):
    form = AnswerForm(request.POST)
    try:
        if handler.rejection is not None:
            raise UploadRejected(handler.rejection.message, handler.rejection.status)
        if not form.is_valid():
            raise UploadRejected(first_error(form))
        uploads = request.FILES.getlist("files")
        if len(uploads) > MAX_ANSWER_FILES:
            raise UploadRejected(f"Attach at most {MAX_ANSWER_FILES} files to one answer.")
        files = [(upload, clean_display_name(upload.original_name)) for upload in uploads]
        with transaction.atomic():
            if not consume_nonce(request, answer_scope(info_request), request.POST.get("nonce")):
                raise UploadRejected(
                    "That answer form was already sent (or is out of date). "
                    "The request below shows where it stands."
                )
            request_services.answer_request(
                actor=request.user,
                request_id=info_request.pk,
                answer=form.cleaned_data["answer"],
                files=files,
            )
    except (UploadRejected, CaseActionRefused) as refusal:
        messages.error(request, refusal.message)
    else:
        attached = f" with {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""
        messages.success(request, f"Answer sent{attached}. The reviewers have been told.")
    # Back to the Review section of the developer's case page, where the answer form was.
    return redirect(
        reverse("portal:case_section", args=[info_request.case_id, "review"]) + "#requests"
    )


@require_POST
def request_withdraw(request, request_id):
    info_request = get_request_or_404(request.user, request_id, audience=RequestAudience.AGENCY)
    return run_service(
        request,
        lambda: request_services.withdraw_request(actor=request.user, request_id=info_request.pk),
        success="Request withdrawn.",
        redirect_to=section_url("requests", info_request.case_id),
    )


@require_safe
@download_view
def attachment_download(request, request_id, attachment_id):
    info_request = get_request_or_404(request.user, request_id, audience=RequestAudience.READERS)
    attachment = info_request.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return serve(request, attachment, through=info_request, case_id=info_request.case_id)


# --- the recommendation -------------------------------------------------------------------


@require_POST
def recommendation_draft(request, pk):
    case = get_lead_case_or_404(request.user, pk)
    form = RecommendationForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("recommendation", case.pk))
    return run_service(
        request,
        lambda: recommendation_services.draft_recommendation(
            actor=request.user, case_id=case.pk, **form.cleaned_data
        ),
        success="Recommendation draft saved. The developer does not see it until it is issued.",
        redirect_to=section_url("recommendation", case.pk),
    )


@require_POST
@recent_auth_required
def recommendation_issue(request, pk):
    case = get_lead_case_or_404(request.user, pk)
    if not consequence_understood(request.POST):
        messages.error(request, ISSUE_UNDERSTOOD)
        return redirect(section_url("recommendation", case.pk))
    return run_service(
        request,
        lambda: recommendation_services.issue_recommendation(actor=request.user, case_id=case.pk),
        success="Recommendation issued. The developer has been told.",
        redirect_to=section_url("recommendation", case.pk),
    )


# --- the workspace section ----------------------------------------------------------------


def _review_roles(user, case) -> tuple[bool, bool, bool]:
    """Whether this person coordinates the case, works it as a reviewer, and leads it.

    From the case's routings and assignments, which the workspace's header reads
    anyway (``case_routings``, ``case_assignments``): no query of its own.
    """
    assignment = accepted_assignment_in(user, case)
    membership = user.membership
    is_coordinator = membership.role == Membership.Role.COORDINATOR and is_routed_agency(
        case, membership.agency_id
    )
    is_working_reviewer = assignment is not None and assignment.role != Assignment.Role.OBSERVER
    is_lead = assignment is not None and assignment.role == Assignment.Role.LEAD
    return is_coordinator, is_working_reviewer, is_lead


def open_request_count(case) -> int:
    """How many of the case's information requests wait for the developer."""
    return case.information_requests.filter(status=InformationRequest.Status.OPEN).count()


def requests_context(request, case) -> dict:
    """The information requests section, in a fixed number of queries."""
    user = request.user
    is_coordinator, is_working_reviewer, _ = _review_roles(user, case)
    working = case.status in WORKING_STATUSES
    information_requests = list(
        case.information_requests.select_related("asked_by", "agency", "answered_by")
        .prefetch_related("attachments")
        .order_by("-created_at")
    )
    for info_request in information_requests:
        info_request.can_withdraw = info_request.status == InformationRequest.Status.OPEN and (
            info_request.asked_by_id == user.pk or is_coordinator
        )
    return {
        "information_requests": information_requests,
        "open_request_count": sum(
            1 for r in information_requests if r.status == InformationRequest.Status.OPEN
        ),
        "request_form": InformationRequestForm() if working and is_working_reviewer else None,
    }


def lead_recommendation(case) -> Recommendation | None:
    """The case's recommendation, with who drafted and issued it (one query)."""
    return (
        Recommendation.objects.select_related("drafted_by", "issued_by").filter(case=case).first()
    )


def recommendation_context(request, case, recommendation: Recommendation | None) -> dict:
    """The recommendation, its draft form for the lead agency's lead reviewer or coordinator,
    and the issue button for the lead agency's coordinator."""
    is_coordinator, _, is_lead_reviewer = _review_roles(request.user, case)
    of_lead_agency = request.user.membership.agency_id == case.lead_agency_id
    draft_form = None
    if case.status in WORKING_STATUSES and of_lead_agency and (is_lead_reviewer or is_coordinator):
        initial = (
            {
                "outcome": recommendation.outcome,
                "summary": recommendation.summary,
                "conditions": recommendation.conditions,
                "for_operators": recommendation.for_operators,
            }
            if recommendation
            else None
        )
        draft_form = RecommendationForm(initial=initial)
    return {
        "recommendation": recommendation,
        "recommendation_form": draft_form,
        "can_issue_recommendation": (
            is_coordinator
            and of_lead_agency
            and case.status == CaseStatus.IN_REVIEW
            and recommendation is not None
            and not recommendation.is_issued
        ),
    }
