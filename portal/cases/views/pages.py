"""The developer's side of a case: list, draft, upload, scores, submit, withdraw.

The case page's sections (what these forms sit on) are in ``sections``; each
POST here comes back to the section its form is on.

Every view finds its case through ``get_case_or_404`` (404 alike for missing
and out of reach; 403 for a person who sees the case but may not act) and
changes it only through the services (``portal.cases.services``); a refusal
comes back as a message (``portal.core.refusals.run_service``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from portal.accounts.roles import Role, role_required
from portal.accounts.session_policy import recent_auth_required
from portal.cases.access import CasePurpose, get_case_or_404
from portal.cases.filters import CaseFilter
from portal.cases.forms import (
    ArtifactUploadForm,
    CaseForm,
    EvalResultForm,
    ReasonForm,
    ReleaseDateForm,
    ReleasedOnForm,
    ScoreCorrectionForm,
)
from portal.cases.models import Submission
from portal.cases.rows import case_row
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import corrections as correction_services
from portal.cases.services import lifecycle as case_services
from portal.cases.services import release_dates
from portal.cases.services.lifecycle import CaseActionRefused
from portal.cases.views.sections import section_url
from portal.core.forms import consequence_understood, first_error
from portal.core.links import link_maker
from portal.core.nonces import consume_nonce, issue_nonce
from portal.core.refusals import refusal_message, run_service
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected

DEVELOPER_ROLES = (Role.SUBMITTER, Role.ORG_ADMIN)
# Withdrawing and releasing cannot be undone: each needs its "I understand" box.
WITHDRAW_UNDERSTOOD = (
    "The case was not withdrawn. Withdrawing cannot be undone: the review stops for good. "
    "Tick “I understand” to withdraw it."
)
RELEASE_UNDERSTOOD = (
    "The case was not marked as released. This cannot be undone: the reviewing agencies "
    "are told it is public and the case closes. Tick “I understand” to mark it."
)


@require_GET
@role_required(*DEVELOPER_ROLES)
def case_list(request):
    # The developer's own cases: the organization is what grants its people
    # the view permission, and its index serves the newest-first page directly.
    cases = (
        Submission.objects.filter(developer_id=request.user.membership.organization_id)
        .select_related("developer")
        .order_by("-created_at", "-pk")
    )
    case_filter = CaseFilter(request.GET, queryset=cases)
    page = Paginator(case_filter.qs, 25).get_page(request.GET.get("page"))
    # Each row written once in Python (portal.cases.rows), its link formatted, not reversed.
    case_url = link_maker("portal:case_detail")
    for case in page.object_list:
        case.row = case_row(case, case_url(case.pk))
    return render(
        request,
        "portal/cases/case_list.html",
        {
            "organization": request.user.membership.unit,
            "filter": case_filter,
            "page": page,
            "total": page.paginator.count,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*DEVELOPER_ROLES)
def case_create(request):
    organization = request.user.membership.organization
    form = CaseForm(request.POST if request.method == "POST" else None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if not consume_nonce(request, "case_create", request.POST.get("nonce")):
                    raise CaseActionRefused(
                        "That form was already sent. The draft it made is in your cases."
                    )
                case = case_services.create_draft(actor=request.user, **form.cleaned_data)
        except (CaseActionRefused, ValidationError) as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(
                request, f"{case.reference} saved. Add artifacts and scores, then submit."
            )
            return redirect("portal:case_detail", case.pk)
    return render(
        request,
        "portal/cases/case_form.html",
        {"form": form, "nonce": issue_nonce(request, "case_create"), "case": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def case_edit(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    if not case.is_draft:
        messages.error(
            request,
            "This case was submitted; its details can no longer change. To report a new "
            "planned release, use “Change the planned release date” on the case page.",
        )
        return redirect("portal:case_detail", case.pk)
    form = CaseForm(
        request.POST if request.method == "POST" else None,
        instance=case,
        organization=case.developer,
    )
    if request.method == "POST" and form.is_valid():
        try:
            case_services.update_draft(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except (CaseActionRefused, ValidationError) as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(request, "Draft saved.")
            return redirect("portal:case_detail", case.pk)
    return render(
        request,
        "portal/cases/case_form.html",
        {"form": form, "case": case},
        status=400 if form.is_bound else 200,
    )


def _add_refusal(form, refusal) -> None:
    if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
        for field, errors in refusal.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, refusal_message(refusal))


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _artifact_upload runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def artifact_upload(request, pk):
    # Decide who may upload before a byte of the body is read: a person out of
    # reach gets 404 without the server streaming their file to disk first.
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _artifact_upload(request, case, handler)
    finally:
        # Also when the CSRF check refuses the post: the body was parsed by then.
        handler.discard_all()


@csrf_protect
def _artifact_upload(request, case, handler):
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        form = ArtifactUploadForm(request.POST, request.FILES, case=case)
        if handler.rejection is not None:
            raise UploadRejected(handler.rejection.message, handler.rejection.status)
        if not form.is_valid():
            raise UploadRejected(first_error(form))
        upload = form.cleaned_data["file"]
        supersedes = form.cleaned_data["supersedes"]
        with transaction.atomic():
            if not consume_nonce(request, f"upload:{case.pk}", request.POST.get("nonce")):
                raise UploadRejected("That upload was already sent; it is listed on the case.", 409)
            artifact = artifact_services.add_artifact(
                actor=request.user,
                case_id=case.pk,
                kind=form.cleaned_data["kind"],
                streamed=upload,
                original_name=upload.original_name,
                supersedes_id=supersedes.pk if supersedes else None,
                relative_path=form.cleaned_data["relative_path"],
            )
    except (UploadRejected, CaseActionRefused) as refusal:
        status = getattr(refusal, "status", 400)
        if wants_json:
            return JsonResponse({"error": refusal.message}, status=status)
        messages.error(request, refusal.message)
        return redirect(section_url(case, "artifacts"))
    message = (
        f"Uploaded {artifact.original_name} ({artifact.size} bytes, SHA-256 {artifact.sha256})."
    )
    if wants_json:
        return JsonResponse(
            {
                "id": artifact.pk,
                "name": artifact.original_name,
                "size": artifact.size,
                "sha256": artifact.sha256,
            },
            status=201,
        )
    messages.success(request, message)
    return redirect(section_url(case, "artifacts"))


@require_safe
@download_view
def artifact_download(request, pk, artifact_id):
    """For the developer and the case's working reviewers (an accepted assignment)."""
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.READ_ARTIFACTS)
    artifact = case.artifacts.filter(pk=artifact_id).first()
    if artifact is None:
        raise Http404("No such artifact.")
    return serve(request, artifact, through=case, case_id=case.pk)


@require_POST
def artifact_delete(request, pk, artifact_id):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    if not case.artifacts.filter(pk=artifact_id).exists():
        raise Http404("No such artifact.")
    return run_service(
        request,
        lambda: artifact_services.delete_draft_artifact(
            actor=request.user, case_id=case.pk, artifact_id=artifact_id
        ),
        success="Artifact removed from the draft.",
        redirect_to=section_url(case, "artifacts"),
    )


@require_POST
def eval_result_set(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    form = EvalResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url(case, "scores"))
    return run_service(
        request,
        lambda: artifact_services.set_eval_result(
            actor=request.user, case_id=case.pk, **form.cleaned_data
        ),
        success=f"Score on {form.cleaned_data['benchmark']} saved.",
        redirect_to=section_url(case, "scores"),
    )


@require_POST
def eval_result_remove(request, pk, result_id):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    return run_service(
        request,
        lambda: artifact_services.remove_eval_result(
            actor=request.user, case_id=case.pk, result_id=result_id
        ),
        success="Score removed.",
        redirect_to=section_url(case, "scores"),
    )


@require_POST
def eval_result_correct(request, pk, result_id):
    """A submitted case's reported score, corrected with a reason; back to the Scores section."""
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    form = ScoreCorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url(case, "scores"))
    return run_service(
        request,
        lambda: correction_services.correct_score(
            actor=request.user, case_id=case.pk, result_id=result_id, **form.cleaned_data
        ),
        success="Score corrected. The agencies alerted on it have been told.",
        redirect_to=section_url(case, "scores"),
    )


def _run_with_reason(request, case, service, *, success: str, understood_refusal: str = ""):
    """Check the reason form (and the "I understand" box, when ``understood_refusal``
    says what a missing one means), then run ``service(reason)``; back to the case page."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url(case, "overview"))
    if understood_refusal and not consequence_understood(request.POST):
        messages.error(request, understood_refusal)
        return redirect(section_url(case, "overview"))
    reason = form.cleaned_data["reason"]
    return run_service(
        request, lambda: service(reason), success=success, redirect_to=section_url(case, "overview")
    )


@require_POST
def case_submit(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    return _run_with_reason(
        request,
        case,
        lambda reason: case_services.submit_case(
            actor=request.user, case_id=case.pk, short_notice_reason=reason
        ),
        success="Case submitted for review. The reviewing agencies have been told.",
    )


@require_POST
@recent_auth_required
def case_withdraw(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    return _run_with_reason(
        request,
        case,
        lambda reason: case_services.withdraw_case(
            actor=request.user, case_id=case.pk, reason=reason
        ),
        success="Case withdrawn.",
        understood_refusal=WITHDRAW_UNDERSTOOD,
    )


@require_POST
@recent_auth_required
def case_mark_released(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    form = ReleasedOnForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("portal:case_detail", case.pk)
    if not consequence_understood(request.POST):
        messages.error(request, RELEASE_UNDERSTOOD)
        return redirect("portal:case_detail", case.pk)
    return run_service(
        request,
        lambda: case_services.mark_released(
            actor=request.user, case_id=case.pk, released_on=form.cleaned_data["released_on"]
        ),
        success=lambda released: (
            f"Case marked as released on {released.released_on:%B %-d, %Y}."
            + (
                " It is flagged as released before the recommendation."
                if released.released_before_recommendation
                else ""
            )
        ),
        redirect_to=section_url(case, "overview"),
    )


@require_POST
def case_change_release_date(request, pk):
    case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    form = ReleaseDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("portal:case_detail", case.pk)
    return run_service(
        request,
        lambda: release_dates.change_release_date(
            actor=request.user,
            case_id=case.pk,
            planned_release_date=form.cleaned_data["planned_release_date"],
            reason=form.cleaned_data["reason"],
        ),
        success=lambda moved: (
            f"The planned public release is now {moved.planned_release_date:%B %-d, %Y}. "
            "The reviewing agencies have been told."
        ),
        redirect_to=section_url(case, "overview"),
    )
