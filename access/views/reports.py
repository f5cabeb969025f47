"""Operators' evaluation reports: filed by the operator, read by the case's agencies.

Who reads a report (``access.selectors.readable_reports``): agency staff who
can see its case (coordinators of routed agencies, reviewers who accepted),
the operator organization that wrote it, and the developer only when the
report is marked for the developer. Everyone else gets 404, as if it did not
exist (``access.access.get_report_or_404``).
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from access import services
from access.access import GrantPurpose, get_grant_or_404, get_report_or_404
from access.forms_developer import MAX_REPORT_FILES, ReportForm, report_scope
from portal.cases.services.lifecycle import CaseActionRefused
from portal.core.nonces import consume_nonce, issue_nonce
from portal.files.downloads import download_view, serve
from portal.files.uploads import HashingUploadHandler, UploadRejected, clean_display_name


# csrf_exempt is safe: upload handlers must be set before the CSRF check reads the
# body, so _file_report runs the same check (csrf_protect) right after.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def report_create(request, grant_id):
    # Decide who may report before a byte of the body is read: a person out of
    # reach gets 404 without their files being streamed to disk first.
    access_grant = get_grant_or_404(request.user, grant_id, purpose=GrantPurpose.REPORT)
    if request.method == "GET":
        return _report_form(request, access_grant, ReportForm())
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _file_report(request, access_grant, handler)
    finally:
        # Also when the CSRF check refuses the post: the body was parsed by then.
        handler.discard_all()


@csrf_protect
def _report_form(request, access_grant, form, *, status=200):
    return render(
        request,
        "access/report_form.html",
        {
            "grant": access_grant,
            "case": access_grant.case,
            "form": form,
            "nonce": issue_nonce(request, report_scope(access_grant)),
            "max_files": MAX_REPORT_FILES,
        },
        status=status,
    )


@csrf_protect
def _file_report(request, access_grant, handler):
    form = ReportForm(request.POST)
    try:
        if handler.rejection is not None:
            raise UploadRejected(handler.rejection.message, handler.rejection.status)
        if not form.is_valid():
            return _report_form(request, access_grant, form, status=400)
        uploads = request.FILES.getlist("files")
        if len(uploads) > MAX_REPORT_FILES:
            raise UploadRejected(f"Attach at most {MAX_REPORT_FILES} files to one report.")
        files = [(upload, clean_display_name(upload.original_name)) for upload in uploads]
        with transaction.atomic():
            if not consume_nonce(request, report_scope(access_grant), request.POST.get("nonce")):
                raise UploadRejected(
                    "That report form was already sent (or is out of date). "
                    "Your organization's reports are listed on the grant."
                )
            report = services.file_report(
                actor=request.user, grant_id=access_grant.pk, files=files, **form.cleaned_data
            )
    except (UploadRejected, CaseActionRefused) as refusal:
        form.add_error(None, refusal.message)
        return _report_form(request, access_grant, form, status=getattr(refusal, "status", 400))
    messages.success(request, "Report filed. The reviewing agencies have been told.")
    return redirect("access:report_detail", report.pk)


@require_GET
def report_detail(request, report_id):
    report = get_report_or_404(request.user, report_id)
    membership = getattr(request.user, "membership", None)
    return render(
        request,
        "access/report_detail.html",
        {
            "report": report,
            "case": report.case,
            "files": report.files.order_by("uploaded_at"),
            # The organization that wrote it goes back to its grant, open or closed.
            "own_report": membership is not None
            and membership.organization_id == report.operator_id,
        },
    )


@require_safe
@download_view
def report_file_download(request, report_id, file_id):
    report = get_report_or_404(request.user, report_id)
    report_file = report.files.filter(pk=file_id).first()
    if report_file is None:
        raise Http404("No such file.")
    return serve(request, report_file, through=report, case_id=report.case_id)
