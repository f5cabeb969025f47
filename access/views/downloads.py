"""Downloads by browser (session) and by script (bearer token): one check, one log.

Both doors call ``_download``, which checks at the moment of each request, in
this order:

1. the grant is visible to the person and is to their own organization, and
2. it is live (active, inside its window, its case not withdrawn) — else
   404, the same answer as for a grant that does not exist; revocation
   removes the permission, so a revoked grant fails the first check on the
   very next request — and a transfer already running asks again every
   ``DOWNLOAD_RECHECK_SECONDS`` (``access.selectors.grant_is_open``) and
   stops mid-response (docs/transfers.md);
3. the artifact is one the grant shares, under its download name — else 404;
4. the person accepted the current terms — else 403 pointing to the terms.

A refused request for a grant of the person's own organization that is
closed, or outside its window, says so in words (revoked on which date and
why, ended, or not open yet) with the same status; anyone else learns nothing.

Every request leaves one download record (``portal.files.downloads``),
allowed or denied. When the grant and the artifact can be identified (the
artifact belongs to the grant's case) the record names them and why a refusal
was made, and shows in the case's download log. A request for an unknown
grant, or an artifact of another case, is answered 404 and recorded as not
found, naming no grant: it shows in no case's log, so it tells on nobody.
SHA256SUMS goes through checks 1 and 2 the same way, and its refusals are
recorded with their reason against the grant, like an artifact's.
"""

import os
import re
from dataclasses import dataclass
from functools import partial

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from access.access import GrantPurpose, get_grant_or_404
from access.forms_operator import TermsAcceptanceForm
from access.models import AccessGrant, Terms
from access.selectors import (
    artifacts_for_download,
    grant_for_download,
    grant_is_open,
    live_grant_list,
    operator_grants,
)
from access.services import has_accepted_current_terms
from portal.accounts.api import api_error, token_required, token_scope
from portal.accounts.models import Membership
from portal.accounts.models.tokens import GRANTS_READ
from portal.cases.models import Artifact, CaseStatus
from portal.cases.snapshots import current_artifacts, snapshot_tree
from portal.files.downloads import Outcome, download_view, record_denied, serve, serve_generated

UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME_LENGTH = 200
NOT_FOUND = "No such grant or artifact, or access is not open."
SHA256SUMS = "SHA256SUMS"
TERMS_NOT_ACCEPTED = "Accept the current terms of pre-public access before downloading."


# -- Names -------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The artifact's name as ``curl -O`` may save it: ASCII letters, digits, ``. _ -``.

    Anything else (spaces, quotes, slashes, control and non-ASCII characters)
    becomes ``_``; a leading dot too, so the file is neither hidden nor ``..``.
    """
    safe = UNSAFE_CHARACTERS.sub("_", name or "")
    if safe.startswith("."):
        safe = "_" + safe[1:]
    if len(safe) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(safe)
        extension = extension if len(extension) <= 20 else ""
        safe = stem[: MAX_NAME_LENGTH - len(extension)] + extension
    return safe or "artifact"


@dataclass(frozen=True)
class GrantedFile:
    artifact: Artifact
    name: str  # the last segment of its download URL and its line in SHA256SUMS


def granted_files(access_grant: AccessGrant) -> list[GrantedFile]:
    """The grant's artifacts, each under a download name unique within the grant.

    A new version of an artifact often has the old one's name; the later one
    gets its id before the extension, so ``curl -O`` of both keeps both and
    SHA256SUMS names each once. Earlier names never change.
    """
    return named_files(access_grant.granted_artifacts())


def named_files(artifacts) -> list[GrantedFile]:
    """``granted_files`` of the grant's artifacts, however they were read."""
    files, taken = [], set()
    for artifact in sorted(artifacts, key=lambda a: a.pk):
        name = safe_filename(artifact.original_name)
        if name in taken:
            stem, extension = os.path.splitext(name)
            name = f"{stem}-{artifact.pk}{extension}"
        taken.add(name)
        files.append(GrantedFile(artifact, name))
    return files


def snapshot_files(access_grant: AccessGrant) -> list[GrantedFile]:
    """The grant's model snapshot: one file per relative path (the newest), in path order."""
    files = granted_files(access_grant)
    current = {a.pk for a in current_artifacts(f.artifact for f in files)}
    return sorted(
        (f for f in files if f.artifact.pk in current), key=lambda f: f.artifact.relative_path
    )


def _file_json(request, access_grant: AccessGrant, f: GrantedFile) -> dict:
    return {
        "id": f.artifact.pk,
        "name": f.name,
        "path": f.artifact.relative_path,
        "original_name": f.artifact.original_name,
        "kind": f.artifact.kind,
        "size": f.artifact.size,
        "sha256": f.artifact.sha256,
        "download_url": request.build_absolute_uri(
            reverse("api_download", args=[access_grant.pk, f.artifact.pk, f.name])
        ),
    }


def sha256sums(files: list[GrantedFile]) -> str:
    """What ``sha256sum -c`` reads: two spaces between digest and name (text mode)."""
    return "".join(f"{f.artifact.sha256}  {f.name}\n" for f in files)


# -- The one download check --------------------------------------------------


def _grant_refusal(request, access_grant: AccessGrant):
    """Why this request may not download through the grant (checks 1 and 2); None when it may."""
    user = request.user
    membership = getattr(user, "membership", None)
    own_grant = membership is not None and membership.organization_id == access_grant.operator_id
    may_download = getattr(access_grant, "may_download", None)  # grant_for_download read it
    if may_download is None:
        may_download = operator_grants(user).filter(pk=access_grant.pk).exists()
    if not may_download:
        if not own_grant:
            return Outcome.DENIED_NOT_GRANTED
        if access_grant.status == AccessGrant.Status.REVOKED:
            return Outcome.DENIED_REVOKED
        if access_grant.status == AccessGrant.Status.EXPIRED:
            return Outcome.DENIED_WINDOW
        return Outcome.DENIED_NOT_GRANTED
    if not access_grant.is_live(timezone.now()):
        if access_grant.status == AccessGrant.Status.REVOKED:
            return Outcome.DENIED_REVOKED
        if access_grant.status == AccessGrant.Status.NOMINATED:
            return Outcome.DENIED_NOT_GRANTED
        return Outcome.DENIED_WINDOW
    if access_grant.case.status == CaseStatus.WITHDRAWN:
        return Outcome.DENIED_NOT_GRANTED  # the developer withdrew the model
    return None


def _refusal(request, access_grant: AccessGrant, artifact: Artifact, filename: str, files):
    """Why this request may not have the artifact, as an Outcome; None when it may.

    ``files``: the grant's ``GrantedFile`` list; ``access_grant`` as
    ``grant_for_download`` reads it (whether it may be downloaded from, and the terms).
    """
    outcome = _grant_refusal(request, access_grant)
    if outcome is not None:
        return outcome
    names = {f.artifact.pk: f.name for f in files}
    if names.get(artifact.pk) != filename:
        return Outcome.DENIED_NOT_GRANTED
    accepted = getattr(access_grant, "terms_accepted", None)  # grant_for_download read it
    if accepted is None:
        accepted = has_accepted_current_terms(request.user)
    if not accepted:
        return Outcome.DENIED_TERMS
    return None


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%B %-d, %Y}"


def refusal_message(user, access_grant: AccessGrant, outcome: str) -> str:
    """Why the organization's own grant refuses downloads, in words; "" for anyone else."""
    membership = getattr(user, "membership", None)
    own_grant = (
        membership is not None
        and membership.role == Membership.Role.SECURITY_TEAM
        and membership.organization_id == access_grant.operator_id
        and access_grant.granted_at is not None
    )
    if not own_grant:
        return ""
    title = access_grant.case.title
    if outcome == Outcome.DENIED_REVOKED:
        return (
            f"Access to {title} was revoked on {_when(access_grant.revoked_at)}: "
            f"{access_grant.revocation_reason} Nothing can be downloaded from this grant."
        )
    if outcome == Outcome.DENIED_WINDOW:
        if timezone.now() < access_grant.starts_at:
            return (
                f"Access to {title} opens on {_when(access_grant.starts_at)}; downloads start then."
            )
        return (
            f"Access to {title} ended on {_when(access_grant.ends_at)}. "
            "Nothing can be downloaded from this grant."
        )
    return ""


def _download(request, grant_id, artifact_id, filename, *, refuse):
    # Two queries decide (docs/transfers.md): the grant with its case, whether the
    # person may download from it and accepted the terms; then its artifacts.
    access_grant = grant_for_download(request.user, grant_id)
    artifact, listed = None, []
    if access_grant is not None:
        listed = list(artifacts_for_download(access_grant, artifact_id))
        artifact = next((a for a in listed if a.pk == artifact_id), None)
    if artifact is None:
        return refuse(request, 404)  # recorded by download_view, naming no grant

    files = named_files(a for a in listed if a.granted)
    outcome = _refusal(request, access_grant, artifact, filename, files)
    if outcome is not None:
        record_denied(
            request,
            outcome,
            through=access_grant,
            stored_file=artifact,
            case_id=access_grant.case_id,
            name=filename,
        )
        if outcome == Outcome.DENIED_TERMS:
            return refuse(request, 403)
        return refuse(request, 404, refusal_message(request.user, access_grant, outcome))
    return serve(
        request,
        artifact,
        through=access_grant,
        case_id=access_grant.case_id,
        filename=filename,
        still_open=partial(grant_is_open, access_grant.pk),
    )


def serve_grant_document(
    request,
    grant_id,
    *,
    name: str,
    render,
    refuse,
    content_type: str = "text/plain; charset=utf-8",
):
    """A document about the grant's files (SHA256SUMS, the aria2c input file, model.sig),
    after checks 1 and 2; a refusal recorded with its reason. ``render(grant)`` writes it."""
    access_grant = grant_for_download(request.user, grant_id)
    if access_grant is None:
        return refuse(request, 404)  # recorded by download_view, naming no grant
    outcome = _grant_refusal(request, access_grant)
    if outcome is not None:
        record_denied(
            request, outcome, through=access_grant, case_id=access_grant.case_id, name=name
        )
        return refuse(request, 404)
    # The one access helper serves it, as before: the check above only names the reason.
    access_grant = get_grant_or_404(request.user, grant_id, purpose=GrantPurpose.DOWNLOAD)
    return serve_generated(
        request,
        render(access_grant),
        filename=name,
        through=access_grant,
        case_id=access_grant.case_id,
        content_type=content_type,
    )


def _sha256sums(request, grant_id, *, refuse):
    return serve_grant_document(
        request,
        grant_id,
        name=SHA256SUMS,
        render=lambda access_grant: sha256sums(granted_files(access_grant)),
        refuse=refuse,
    )


# -- The browser -------------------------------------------------------------


def browser_refusal(request, status, message=""):
    if status == 404 and message:
        return render(request, "access/download_refused.html", {"message": message}, status=404)
    if status == 403:
        current = Terms.current()
        form = TermsAcceptanceForm(initial={"terms_id": current.pk}) if current else None
        return render(
            request,
            "access/terms.html",
            {"terms": current, "acceptance": None, "form": form, "refusal": TERMS_NOT_ACCEPTED},
            status=403,
        )
    raise Http404(NOT_FOUND)


@require_safe
@download_view
def browser_download(request, grant_id, artifact_id, filename):
    return _download(request, grant_id, artifact_id, filename, refuse=browser_refusal)


@require_safe
@download_view
def browser_sha256sums(request, grant_id):
    return _sha256sums(request, grant_id, refuse=browser_refusal)


# -- Scripts -----------------------------------------------------------------


def api_refusal(request, status, message=""):
    if status == 403:
        terms_url = request.build_absolute_uri(reverse("access:terms"))
        return JsonResponse(
            {
                "error": f"{TERMS_NOT_ACCEPTED} Read and accept them at {terms_url}",
                "terms_url": terms_url,
            },
            status=403,
        )
    return api_error(message or NOT_FOUND, 404)


def only_methods(request, *methods):
    """A JSON 405 for any other method, as the rest of the API answers."""
    if request.method in methods:
        return None
    response = api_error(f"Use {' or '.join(methods)}.", 405)
    response["Allow"] = ", ".join(methods)
    return response


def _grant_json(request, access_grant: AccessGrant, *, terms_accepted: bool) -> dict:
    case = access_grant.case
    files = granted_files(access_grant)
    return {
        "id": access_grant.pk,
        "case": case.reference,
        "model": case.title,
        "developer": case.developer.name,
        "ends_at": access_grant.ends_at,
        "terms_accepted": terms_accepted,
        "sha256sums_url": request.build_absolute_uri(
            reverse("api_sha256sums", args=[access_grant.pk])
        ),
        "aria2_url": request.build_absolute_uri(reverse("api_aria2", args=[access_grant.pk])),
        "model_sig_url": request.build_absolute_uri(
            reverse("api_model_sig", args=[access_grant.pk])
        ),
        "artifacts": [_file_json(request, access_grant, f) for f in files],
        # The model snapshot as folders → files, one file per relative path.
        "snapshot": snapshot_tree(
            snapshot_files(access_grant), path_of=lambda f: f.artifact.relative_path
        ).as_json(lambda f: {"type": "file", **_file_json(request, access_grant, f)}),
    }


@token_required
@token_scope(GRANTS_READ)
def api_grants(request):
    """The caller's live grants, with every artifact's download URL and checksum."""
    if refused := only_methods(request, "GET"):
        return refused
    if request.user.role != Membership.Role.SECURITY_TEAM:
        return api_error("Only operators' security teams have grants.", 403)
    accepted = has_accepted_current_terms(request.user)
    grants = [
        _grant_json(request, access_grant, terms_accepted=accepted)
        for access_grant in live_grant_list(request.user)
    ]
    payload = {"grants": grants}
    if not accepted:
        payload["terms_url"] = request.build_absolute_uri(reverse("access:terms"))
    return JsonResponse(payload)


@token_required
@download_view  # outside the scope check: a refused token leaves its record too
@token_scope(GRANTS_READ)
def api_download(request, grant_id, artifact_id, filename):
    if refused := only_methods(request, "GET", "HEAD"):
        return refused
    return _download(request, grant_id, artifact_id, filename, refuse=api_refusal)


@token_required
@download_view  # outside the scope check: a refused token leaves its record too
@token_scope(GRANTS_READ)
def api_sha256sums(request, grant_id):
    if refused := only_methods(request, "GET", "HEAD"):
        return refused
    return _sha256sums(request, grant_id, refuse=api_refusal)
