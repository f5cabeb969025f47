"""Resumable artifact uploads by the tus 1.0 protocol: ``/api/v1/cases/<id>/uploads/``.

Any tus client works: ``tuspy`` or ``curl`` by script with a personal access
token, ``tus-js-client`` in the browser with the session (and its CSRF
token). The protocol itself is ``portal.files.resumable``; this module says
who may upload to which case and what a finished upload becomes: an artifact,
stored by ``add_artifact`` exactly as a PUT or the form stores one.

Upload-Metadata: ``filename`` and ``kind`` (required), ``sha256`` (the whole
file's, optional: checked when the last byte arrives), ``supersedes`` (an
artifact id of the case, optional), ``path`` (where the file sits in the
model snapshot, optional: the file's name by default). Other keys are
accepted and ignored.

Uploads are for drafts: only while the case is a draft may its developer
start or continue one (409 otherwise, and an upload under way is discarded).
After submit, a new version goes up whole by ``PUT`` or the form.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from portal.accounts.api import token_or_session, token_scope
from portal.accounts.models.tokens import CASES_UPLOAD
from portal.cases.access import CasePurpose, get_case_or_404, is_developer_member
from portal.cases.models import Artifact, ArtifactUpload, Submission
from portal.cases.services.artifacts import ArtifactAlreadyStored, add_artifact
from portal.cases.services.lifecycle import CaseActionRefused
from portal.cases.snapshots import BadRelativePath, clean_relative_path
from portal.files import resumable
from portal.files.models import stored_file_name
from portal.files.resumable import TusError, tus_response
from portal.files.uploads import UploadRejected, check_sha256_header, clean_display_name

COLLECTION_METHODS = {"OPTIONS", "POST"}
UPLOAD_METHODS = {"OPTIONS", "HEAD", "PATCH", "DELETE"}
NO_SUCH_UPLOAD = "No such upload: it finished, was terminated, or expired."
NOT_A_SUBMITTER = "Only the developer's submitters can upload artifacts."


def _method(request) -> str:
    """The method, or the one X-HTTP-Method-Override names (servers must honour it)."""
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    return override if request.method == "POST" and override else request.method


def _case(request, pk) -> Submission:
    try:
        case = get_case_or_404(request.user, pk, purpose=CasePurpose.CHANGE)
    except Http404:
        raise TusError(404, "No such case.") from None
    except PermissionDenied:
        raise TusError(403, NOT_A_SUBMITTER) from None
    return case


def _require_draft(case: Submission, upload: ArtifactUpload | None = None) -> None:
    """Resumable uploads are for drafts: a submitted, withdrawn or released case takes none.

    A closed case (withdrawn, released) is 403 as for every upload; a case
    under review is 409, a conflict with its state: its new versions go up
    whole by PUT or the form. Either way an upload under way is discarded.
    """
    if case.is_draft:
        return
    if upload is not None:
        resumable.remove(upload)
    status = case.get_status_display().lower()
    if case.is_closed:
        raise TusError(
            403,
            f"This case is {status}; it takes no more uploads. Nothing of this upload was kept.",
        )
    raise TusError(
        409,
        f"This case is {status}: resumable uploads are only for draft cases. Nothing of this "
        "upload was kept; upload a new version with PUT or the case's form.",
    )


def _tus(view):
    """Authenticate; refuse as the protocol says; Tus-Resumable on every response."""

    def protocol(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except TusError as error:
            return resumable.error_response(error)

    # A token must carry the upload scope; the browser's session is not scope-limited.
    authenticated = token_or_session(token_scope(CASES_UPLOAD)(protocol))

    @wraps(authenticated)
    def wrapper(request, *args, **kwargs):
        response = authenticated(request, *args, **kwargs)
        response["Tus-Resumable"] = resumable.TUS_VERSION
        return response

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper


@_tus
def upload_create(request, pk):
    """OPTIONS: what the server supports. POST: create an upload (with its first bytes, if sent)."""
    method = _method(request)
    if method not in COLLECTION_METHODS:
        response = tus_response(405, "Use POST to create an upload (or OPTIONS).")
        response["Allow"] = ", ".join(sorted(COLLECTION_METHODS))
        return response
    case = _case(request, pk)
    if method == "OPTIONS":
        return resumable.options_response()
    resumable.check_version(request)
    _require_draft(case)
    length = resumable.parse_length(request)
    header = request.headers.get("Upload-Metadata", "")
    metadata = resumable.parse_metadata(header)
    try:
        name = clean_display_name(metadata.get("filename", ""))
        expected = check_sha256_header(metadata.get("sha256")) or ""
    except UploadRejected as rejection:
        message = rejection.message.replace("X-Content-SHA256", "Upload-Metadata sha256")
        raise TusError(400, f"{message} (Upload-Metadata filename, sha256)") from None
    kind = metadata.get("kind", "")
    if kind not in Artifact.Kind.values:
        raise TusError(
            400, f"Upload-Metadata kind must be one of: {', '.join(Artifact.Kind.values)}."
        )
    relative_path = ""
    if "path" in metadata:
        try:
            relative_path = clean_relative_path(metadata["path"])
        except BadRelativePath as bad:
            raise TusError(400, f"{bad.message} (Upload-Metadata path)") from None
    supersedes = None
    if wanted := metadata.get("supersedes"):
        if wanted.isascii() and wanted.isdigit() and len(wanted) < 19:
            supersedes = case.artifacts.filter(pk=int(wanted)).first()
        if supersedes is None:
            raise TusError(400, "Upload-Metadata supersedes names no artifact of this case.")
    upload = ArtifactUpload(
        case=case,
        created_by=request.user,
        length=length,
        metadata=header,
        kind=kind,
        original_name=name,
        relative_path=relative_path,
        expected_sha256=expected,
        supersedes=supersedes,
    )
    resumable.start(upload, storage_name=stored_file_name(Artifact(case=case), name))
    try:
        upload.save()
    except BaseException:
        resumable.remove(upload)
        raise
    location = request.build_absolute_uri(reverse("api_upload", args=[case.pk, upload.key]))
    headers = {"Location": location, "Upload-Expires": resumable.expires_header(upload)}
    if request.headers.get("Content-Type", "").startswith(resumable.OFFSET_CONTENT_TYPE):
        try:
            with resumable.locked(upload.key) as handle:
                finished = resumable.append(
                    upload,
                    request,
                    handle=handle,
                    on_finished=lambda done: _finish(done, request.user),
                )
        except TusError:
            resumable.remove(upload)
            raise
        headers |= finished or {}
        headers["Upload-Offset"] = str(upload.offset)
    return tus_response(201, **headers)


@_tus
def upload_detail(request, pk, key):
    """HEAD: how far the upload got. PATCH: the next bytes. DELETE: terminate it."""
    method = _method(request)
    if method not in UPLOAD_METHODS:
        response = tus_response(405, "Use HEAD, PATCH or DELETE on an upload.")
        response["Allow"] = ", ".join(sorted(UPLOAD_METHODS))
        return response
    if method == "OPTIONS":
        _case(request, pk)
        return resumable.options_response()
    if method == "PATCH":
        return _patch(request, pk, key)
    upload = _upload(request, pk, key)
    if method == "DELETE":
        resumable.remove(upload)
        return tus_response(204)
    _require_live(upload)
    headers = {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Upload-Expires": resumable.expires_header(upload),
    }
    if upload.metadata:
        headers["Upload-Metadata"] = upload.metadata
    response = tus_response(200, **headers)
    response.content = b""
    return response


def _upload(request, pk, key) -> ArtifactUpload:
    """The upload, with its case, in one query; refusals as for the case, then as for the upload.

    404 or 403 for the case (as ``_case``), 412, 404 for the upload: the
    statuses, in that order, of looking up the case and then its upload,
    which took two queries.
    """
    visible = Submission.objects.visible_to(request.user, probe=True).filter(pk=pk)
    upload = (
        ArtifactUpload.objects.select_related("case")
        .filter(case_id=pk, key=key, case__in=visible)
        .first()
    )
    if upload is None:
        _case(request, pk)  # 404 or 403 as for the case itself
        resumable.check_version(request)
        raise TusError(404, NO_SUCH_UPLOAD)
    if not is_developer_member(request.user, upload.case):
        raise TusError(403, NOT_A_SUBMITTER)
    resumable.check_version(request)
    return upload


def _patch(request, pk, key):
    """The next bytes: the partial file is locked first, then the upload read, once.

    Under the lock no other request moves the offset, so the row read is the
    one this PATCH continues: with the token's, three queries a PATCH, where
    looking up the case and the upload and reading the row again under the
    lock took five.
    """
    with resumable.locked(key) as handle:
        upload = _upload(request, pk, key)
        _require_live(upload)
        _require_draft(upload.case, upload)
        finished = resumable.append(
            upload, request, handle=handle, on_finished=lambda done: _finish(done, request.user)
        )
    return tus_response(
        204,
        Upload_Offset=str(upload.offset),
        Upload_Expires=resumable.expires_header(upload),
        **(finished or {}),
    )


def _require_live(upload: ArtifactUpload) -> None:
    if upload.expires_at <= timezone.now():
        raise TusError(410, "This upload expired; start it again.")


def _finish(upload: ArtifactUpload, actor) -> dict[str, str]:
    """The last byte arrived: the file becomes an artifact, and the upload is over."""
    sha256 = resumable.finished_sha256(upload)
    if upload.expected_sha256 and sha256 != upload.expected_sha256:
        resumable.remove(upload)
        raise TusError(
            resumable.CHECKSUM_MISMATCH,
            f"The file's SHA-256 ({sha256}) does not match the one declared in "
            f"Upload-Metadata ({upload.expected_sha256}). Nothing was stored; "
            "upload the file again.",
        )
    streamed = resumable.finished_file(upload)  # on S3: the parts joined into one object
    try:
        try:
            artifact = add_artifact(
                actor=actor,
                case_id=upload.case_id,
                kind=upload.kind,
                streamed=streamed,
                original_name=upload.original_name,
                supersedes_id=upload.supersedes_id,
                relative_path=upload.relative_path or None,
            )
        except ArtifactAlreadyStored as already:
            artifact = already.artifact
        except (CaseActionRefused, UploadRejected) as refusal:
            raise TusError(403, f"{refusal.message} Nothing was stored.") from None
    finally:
        streamed.discard()  # moved into storage by now, unless refused
        resumable.remove(upload)
    return {"Artifact-Id": str(artifact.pk), "Artifact-SHA256": artifact.sha256}
