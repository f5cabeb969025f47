"""Findings with handling markings: recording, updating, evidence downloads.

Every read goes through ``Finding.objects.visible_to(user)`` (the list, the
counts and the download alike), so a finding outside a person's marking is
absent everywhere, and a URL to it answers 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from portal.core.nonces import consume_nonce
from portal.core.refusals import run_service
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected
from reviews.access import get_finding_or_404, get_workspace_case_or_404
from reviews.forms_reviewer import FindingForm, FindingUpdateForm
from reviews.services import findings as finding_services
from reviews.services.base import ReviewActionRefused
from reviews.views.requests import section_url
from reviews.views.workspace import render_findings


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _finding_create runs the same check (csrf_protect) right after.
@csrf_exempt
@require_POST
def finding_create(request, pk):
    # Who may post is decided before a byte of the body is read.
    case = get_workspace_case_or_404(request.user, pk, working=True)
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _finding_create(request, case, handler)
    finally:
        handler.discard_all()


@csrf_protect
def _finding_create(request, case, handler):
    form = FindingForm(request.POST, request.FILES)
    if handler.rejection is not None:
        form.add_error("evidence", handler.rejection.message)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                # A double-submitted form records one finding (portal.core.nonces).
                if not consume_nonce(request, f"finding:{case.pk}", request.POST.get("nonce")):
                    raise ReviewActionRefused(
                        "That form was already sent; the finding it recorded is listed below."
                    )
                finding = finding_services.record_finding(
                    actor=request.user,
                    case_id=case.pk,
                    title=data["title"],
                    category=data["category"],
                    severity=data["severity"],
                    description=data["description"],
                    marking=data["marking"],
                    evidence=[(upload, upload.original_name) for upload in data["evidence"]],
                )
        except (ReviewActionRefused, UploadRejected) as refusal:
            form.add_error(None, refusal.message)
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, f"Finding recorded ({finding.get_marking_display().lower()})."
            )
            return redirect(f"{section_url('findings', case.pk)}#finding-{finding.pk}")
    return render_findings(request, case, status=400, finding_form=form)


@require_POST
def finding_update(request, finding_id):
    finding = get_finding_or_404(request.user, finding_id)
    case = get_workspace_case_or_404(request.user, finding.case_id)
    form = FindingUpdateForm(request.POST)
    target = f"{section_url('findings', case.pk)}#finding-{finding.pk}"
    if not form.is_valid():
        messages.error(request, "Choose a status and a marking.")
        return redirect(target)
    return run_service(
        request,
        lambda: finding_services.update_finding(
            actor=request.user, finding_id=finding.pk, **form.cleaned_data
        ),
        success="Finding updated.",
        redirect_to=target,
    )


@require_safe
@download_view
def evidence_download(request, finding_id, evidence_id):
    finding = get_finding_or_404(request.user, finding_id)
    evidence = finding.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404("No such evidence.")
    return serve(request, evidence, through=finding, case_id=finding.case_id)
