"""Artifact uploads by script: ``PUT /api/v1/cases/<id>/artifacts/<file name>?kind=...``.

``&path=weights/shard-0001.safetensors`` places the file in the case's model
snapshot (by default it sits at the top under its name); a bad path (``..``,
absolute, over 1,024 characters) is refused with 400 before a byte is stored.

The raw request body is the file. It is streamed to disk and hashed as it
arrives; an ``X-Content-SHA256`` header, when sent, must match. Sending the
same file again (same name, kind and SHA-256) answers 200 with the artifact
already stored instead of storing it twice.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import reverse

from portal.accounts.api import api_error, token_required, token_scope
from portal.accounts.models.tokens import CASES_UPLOAD
from portal.cases.access import CasePurpose, get_case_or_404
from portal.cases.models import Artifact
from portal.cases.services.artifacts import ArtifactAlreadyStored, add_artifact
from portal.cases.services.lifecycle import CaseActionRefused
from portal.cases.snapshots import BadRelativePath, clean_relative_path
from portal.files.uploads import (
    UploadRejected,
    check_sha256_header,
    clean_display_name,
    read_request_body,
)


def _artifact_json(artifact: Artifact) -> dict:
    return {
        "id": artifact.pk,
        "case": artifact.case.reference,
        "name": artifact.original_name,
        "path": artifact.relative_path,
        "kind": artifact.kind,
        "size": artifact.size,
        "sha256": artifact.sha256,
        "supersedes": artifact.supersedes_id,
        "uploaded_at": artifact.uploaded_at,
        "case_url": reverse("portal:case_detail", args=[artifact.case_id]),
    }


@token_required
@token_scope(CASES_UPLOAD)
def artifact_put(request, pk, name):
    if request.method != "PUT":
        return api_error("Use PUT with the file as the request body.", 405)
    try:
        case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    except Http404:
        return api_error("No such case.", 404)
    except PermissionDenied:
        return api_error("Only the developer's submitters can upload artifacts.", 403)
    kind = request.GET.get("kind", "")
    if kind not in Artifact.Kind.values:
        return api_error(f"Add ?kind= with one of: {', '.join(Artifact.Kind.values)}.", 400)
    supersedes = request.GET.get("supersedes")
    try:
        supersedes_id = int(supersedes) if supersedes else None
    except ValueError:
        return api_error("supersedes must be an artifact id.", 400)
    if supersedes_id is not None and not case.artifacts.filter(pk=supersedes_id).exists():
        return api_error("supersedes names no artifact of this case.", 400)
    relative_path = request.GET.get("path")
    if relative_path is not None:
        try:
            relative_path = clean_relative_path(relative_path)
        except BadRelativePath as bad:
            return api_error(bad.message, 400)
    try:
        display_name = clean_display_name(name)
        expected = check_sha256_header(request.headers.get("X-Content-SHA256"))
        streamed = read_request_body(request, expected_sha256=expected)
    except UploadRejected as rejection:
        return api_error(rejection.message, rejection.status)

    try:
        artifact = add_artifact(
            actor=request.user,
            case_id=case.pk,
            kind=kind,
            streamed=streamed,
            original_name=display_name,
            supersedes_id=supersedes_id,
            relative_path=relative_path,
        )
    except UploadRejected as rejection:
        return api_error(rejection.message, rejection.status)
    except ArtifactAlreadyStored as already:
        return JsonResponse(_artifact_json(already.artifact), status=200)
    except CaseActionRefused as refusal:
        return api_error(refusal.message, 409)
    return JsonResponse(_artifact_json(artifact), status=201)
