"""Information requests, notes and the recommendation.

Agency staff work from the case workspace; the developer answers requests
from its case page (the panel in ``reviews.panels``). Every view finds its
object through an access helper (404 alike for missing and out of reach) and
changes it only through ``reviews.services``; a refusal comes back as a message.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from portal.accounts.session_policy import recent_auth_required
from portal.cases.access import is_developer_member, is_routed_coordinator
from portal.cases.models import CaseStatus
from portal.cases.services.lifecycle import CaseActionRefused
from portal.core.nonces import consume_nonce
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected, clean_display_name
from reviews import services as review_services
from reviews.access import get_request_or_404, get_workspace_case_or_404
from reviews.forms_requests import (
    MAX_ANSWER_FILES,
    AnswerForm,
    InformationRequestForm,
    NoteForm,
    RecommendationForm,
    answer_scope,
)
from reviews.models import Assignment, InformationRequest, Recommendation

WORKING_STATUSES = (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


def _workspace(case_id):
    return redirect("reviews:workspace", case_id)


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return "The form is not valid."


def _run(request, case_id, action, success_message):
    """Run a service call; show its refusal or the success message, back on the workspace."""
    try:
        action()
    except CaseActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success_message)
    return _workspace(case_id)


def _agency_request_or_404(user, request_id) -> InformationRequest:
    """A request, for agency staff who can see its case."""
    info_request = get_request_or_404(user, request_id)
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        raise Http404("No such request.")
    return info_request


def _developer_request_or_404(user, request_id) -> InformationRequest:
    """A request, for the people of the developer it was put to."""
    info_request = get_request_or_404(user, request_id)
    if not is_developer_member(user, info_request.case):
        raise Http404("No such request.")
    return info_request


def _readable_request_or_404(user, request_id) -> InformationRequest:
    """A request and its answer: for agency staff on the case and the developer only
    (an operator with access to the model never reads the developer's answers)."""
    info_request = get_request_or_404(user, request_id)
    membership = getattr(user, "membership", None)
    is_agency_staff = membership is not None and membership.agency_id is not None
    if not (is_agency_staff or is_developer_member(user, info_request.case)):
        raise Http404("No such request.")
    return info_request


# --- information requests -----------------------------------------------------------------


@require_POST
def request_open(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = InformationRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _workspace(case.pk)
    return _run(
        request,
        case.pk,
        lambda: review_services.open_request(
            actor=request.user,
            case_id=case.pk,
            question=form.cleaned_data["question"],
            response_due=form.cleaned_data["response_due"],
        ),
        "Request sent to the developer. The review clock is paused until it is answered.",
    )


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _answer runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def request_answer(request, request_id):
    # Decide who may answer before a byte of the body is read: a person out of
    # reach gets 404 without their files being streamed to disk first.
    info_request = _developer_request_or_404(request.user, request_id)
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
            raise UploadRejected(_first_error(form))
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
            review_services.answer_request(
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
    return redirect(reverse("portal:case_detail", args=[info_request.case_id]) + "#requests")


@require_POST
def request_withdraw(request, request_id):
    info_request = _agency_request_or_404(request.user, request_id)
    return _run(
        request,
        info_request.case_id,
        lambda: review_services.withdraw_request(actor=request.user, request_id=info_request.pk),
        "Request withdrawn.",
    )


@require_safe
@download_view
def attachment_download(request, request_id, attachment_id):
    info_request = _readable_request_or_404(request.user, request_id)
    attachment = info_request.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return serve(request, attachment, through=info_request, case_id=info_request.case_id)


# --- notes and the recommendation ---------------------------------------------------------


@require_POST
def note_add(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _workspace(case.pk)
    return _run(
        request,
        case.pk,
        lambda: review_services.add_note(
            actor=request.user, case_id=case.pk, body=form.cleaned_data["body"]
        ),
        "Note added.",
    )


@require_POST
def recommendation_draft(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = RecommendationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _workspace(case.pk)
    return _run(
        request,
        case.pk,
        lambda: review_services.draft_recommendation(
            actor=request.user, case_id=case.pk, **form.cleaned_data
        ),
        "Recommendation draft saved. The developer does not see it until it is issued.",
    )


@require_POST
@recent_auth_required
def recommendation_issue(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return _run(
        request,
        case.pk,
        lambda: review_services.issue_recommendation(actor=request.user, case_id=case.pk),
        "Recommendation issued. The developer has been told.",
    )


# --- the workspace section ----------------------------------------------------------------


def requests_context(request, case) -> dict:
    """Requests, notes and the recommendation for the workspace, in a fixed number of queries."""
    user = request.user
    assignment = review_services.active_assignment(user, case)
    is_coordinator = is_routed_coordinator(user, case)
    is_working_reviewer = assignment is not None and assignment.role != Assignment.Role.OBSERVER
    is_lead = assignment is not None and assignment.role == Assignment.Role.LEAD
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
    recommendation = (
        Recommendation.objects.select_related("drafted_by", "issued_by").filter(case=case).first()
    )
    can_draft = working and (is_lead or is_coordinator)
    draft_form = None
    if can_draft:
        initial = (
            {
                "outcome": recommendation.outcome,
                "summary": recommendation.summary,
                "conditions": recommendation.conditions,
            }
            if recommendation
            else None
        )
        draft_form = RecommendationForm(initial=initial)
    return {
        "information_requests": information_requests,
        "open_request_count": sum(
            1 for r in information_requests if r.status == InformationRequest.Status.OPEN
        ),
        "request_form": InformationRequestForm() if working and is_working_reviewer else None,
        "notes": case.notes.select_related("author", "agency"),
        "note_form": NoteForm(),
        "recommendation": recommendation,
        "recommendation_form": draft_form,
        "can_issue_recommendation": (
            is_coordinator
            and case.status == CaseStatus.IN_REVIEW
            and recommendation is not None
            and not recommendation.is_issued
        ),
    }
