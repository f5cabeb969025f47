"""A grant's model snapshot in one command, and its signed manifest.

- ``GET /api/v1/grants/<id>/aria2.txt``: an aria2c input file. For each file of
  the snapshot, its download URL, then ``out=`` (its relative path) and
  ``checksum=sha-256=`` (its digest), so that
  ``curl -H "Authorization: Bearer …" URL | aria2c -i - --header "Authorization:
  Bearer …" -x8 -c -d DIR`` (aria2c reads its input from a file or standard
  input, not a URL) writes the snapshot's folders, resumes what was
  interrupted and checks every file.
  Every download it makes is an ordinary request to ``api_download``, checked
  at that moment: a revocation stops the next request of every file.
- ``GET /api/v1/grants/<id>/model.sig`` (and ``/access/grants/<id>/model.sig``
  in the browser): the snapshot's manifest (relative path, size, SHA-256 of
  each file) signed in the OpenSSF model-signing format
  (``portal.files.manifests``), which a bank verifies offline with
  ``model_signing verify key``.

Both are documents about the grant, served like SHA256SUMS: the grant's own
checks (visible to the person, live), a download record either way.
"""

from django.urls import reverse
from django.views.decorators.http import require_safe

from access.models import AccessGrant
from access.views.downloads import (
    api_refusal,
    browser_refusal,
    only_methods,
    serve_grant_document,
    snapshot_files,
)
from portal.accounts.api import token_required, token_scope
from portal.accounts.models.tokens import GRANTS_READ
from portal.cases.snapshots import manifest_entries
from portal.files.downloads import download_view
from portal.files.manifests import SIGNATURE_NAME, signed_manifest

ARIA2_NAME = "aria2.txt"


def aria2_input(request, access_grant: AccessGrant) -> str:
    """aria2c's input file: a URL line, then its options indented (aria2c's manual, -i)."""
    lines = []
    for f in snapshot_files(access_grant):
        url = reverse("api_download", args=[access_grant.pk, f.artifact.pk, f.name])
        lines += [
            request.build_absolute_uri(url),
            f"  out={f.artifact.relative_path}",
            f"  checksum=sha-256={f.artifact.sha256}",
        ]
    return "".join(f"{line}\n" for line in lines)


def model_sig(access_grant: AccessGrant) -> str:
    artifacts = [f.artifact for f in snapshot_files(access_grant)]
    return signed_manifest(access_grant.case.reference, manifest_entries(artifacts)).decode()


@token_required
@download_view  # outside the scope check: a refused token leaves its record too
@token_scope(GRANTS_READ)
def api_aria2(request, grant_id):
    if refused := only_methods(request, "GET", "HEAD"):
        return refused
    return serve_grant_document(
        request,
        grant_id,
        name=ARIA2_NAME,
        render=lambda access_grant: aria2_input(request, access_grant),
        refuse=api_refusal,
    )


@token_required
@download_view  # outside the scope check: a refused token leaves its record too
@token_scope(GRANTS_READ)
def api_model_sig(request, grant_id):
    if refused := only_methods(request, "GET", "HEAD"):
        return refused
    return serve_grant_document(
        request,
        grant_id,
        name=SIGNATURE_NAME,
        render=model_sig,
        refuse=api_refusal,
        content_type="application/json",
    )


@require_safe
@download_view
def browser_model_sig(request, grant_id):
    return serve_grant_document(
        request,
        grant_id,
        name=SIGNATURE_NAME,
        render=model_sig,
        refuse=browser_refusal,
        content_type="application/json",
    )
