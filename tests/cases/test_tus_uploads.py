"""Resumable uploads by the tus 1.0 protocol: ``/api/v1/cases/<id>/uploads/``.

Every status the protocol names, every refusal leaving nothing behind (no
artifact, no stored file, no partial file, no upload row), and who may use it.
"""

import base64
import fcntl
import hashlib
import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import Artifact, ArtifactUpload
from portal.cases.services import lifecycle as case_services
from portal.files.resumable import expire_uploads
from portal.files.sha256state import ResumableSha256
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import add_artifact, bearer, stored_files

OFFSET_TYPE = "application/offset+octet-stream"
BODY = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(BODY).hexdigest()


@pytest.fixture(autouse=True)
def partials(settings, tmp_path):
    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    return settings.UPLOADS_PARTIAL_DIR


@pytest.fixture
def token(submitter):
    return bearer(submitter)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def metadata(**values) -> str:
    return ",".join(f"{key} {b64(value)}" for key, value in values.items())


def create(client, case, token, *, length=None, body=b"", meta=None, **extra):
    headers = {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        "HTTP_UPLOAD_LENGTH": str(len(BODY) if length is None else length),
        "HTTP_UPLOAD_METADATA": meta
        if meta is not None
        else metadata(filename="aurora.safetensors", kind="weights"),
    }
    if token:
        headers["HTTP_AUTHORIZATION"] = token
    headers.update(extra)
    return client.generic(
        "POST",
        reverse("api_uploads", args=[case.pk]),
        body,
        content_type=OFFSET_TYPE if body else "",
        **headers,
    )


def patch(client, url, token, body, offset, *, checksum=None, content_type=OFFSET_TYPE, **extra):
    headers = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_OFFSET": str(offset)}
    if token:
        headers["HTTP_AUTHORIZATION"] = token
    if checksum is not None:
        headers["HTTP_UPLOAD_CHECKSUM"] = checksum
    headers.update(extra)
    return client.generic("PATCH", url, body, content_type=content_type, **headers)


def head(client, url, token, **extra):
    return client.head(url, HTTP_TUS_RESUMABLE="1.0.0", HTTP_AUTHORIZATION=token, **extra)


def sha_header(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def started(client, case, token, **kwargs) -> str:
    response = create(client, case, token, **kwargs)
    assert response.status_code == 201, response.content
    return response["Location"]


def assert_nothing_left(media, partials, *, artifacts=0):
    assert Artifact.objects.count() == artifacts
    assert ArtifactUpload.objects.count() == 0
    assert not partials.exists() or list(partials.iterdir()) == []
    assert len(stored_files(media)) == artifacts


def test_options_advertise_the_protocol(client, draft, token):
    response = client.options(reverse("api_uploads", args=[draft.pk]), HTTP_AUTHORIZATION=token)

    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Resumable"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    }
    assert response["Tus-Checksum-Algorithm"] == "sha256"
    assert int(response["Tus-Max-Size"]) > 0


def test_an_upload_in_three_patches_becomes_an_artifact(client, draft, token, media, partials):
    url = started(
        client, draft, token, meta=metadata(filename="aurora.bin", kind="weights", sha256=SHA)
    )
    assert url.startswith("http://testserver/api/v1/cases/")
    pieces = [BODY[:4000], BODY[4000:8000], BODY[8000:]]
    offset = 0
    for piece in pieces[:-1]:
        response = patch(client, url, token, piece, offset, checksum=sha_header(piece))
        assert response.status_code == 204, response.content
        offset += len(piece)
        assert response["Upload-Offset"] == str(offset)
        assert response["Upload-Expires"]
        # The running hash is saved with the offset: nothing is read back on resume.
        upload = ArtifactUpload.objects.get()
        assert ResumableSha256.from_bytes(bytes(upload.hash_state)).bytes_hashed == offset

    probe = head(client, url, token)
    assert probe.status_code == 200
    assert (probe["Upload-Offset"], probe["Upload-Length"]) == ("8000", str(len(BODY)))
    assert probe["Cache-Control"] == "no-store"
    assert probe["Upload-Metadata"].startswith("filename ")

    response = patch(client, url, token, pieces[-1], offset, checksum=sha_header(pieces[-1]))

    assert response.status_code == 204, response.content
    assert response["Upload-Offset"] == str(len(BODY))
    artifact = Artifact.objects.get()
    assert response["Artifact-Id"] == str(artifact.pk)
    assert (artifact.sha256, artifact.size, artifact.kind) == (SHA, len(BODY), "weights")
    assert artifact.original_name == "aurora.bin"
    assert (media / artifact.file.name).read_bytes() == BODY
    assert AuditEvent.objects.get(action="artifact.uploaded").details["sha256"] == SHA
    assert_nothing_left(media, partials, artifacts=1)
    assert head(client, url, token).status_code == 404


def test_creation_with_upload_stores_the_file_in_one_request(client, draft, token, media, partials):
    response = create(client, draft, token, body=BODY)

    assert response.status_code == 201, response.content
    assert response["Upload-Offset"] == str(len(BODY))
    assert Artifact.objects.get().sha256 == SHA
    assert_nothing_left(media, partials, artifacts=1)


def test_the_same_file_again_is_the_artifact_already_stored(client, draft, token, media, partials):
    first = create(client, draft, token, body=BODY)
    again = create(client, draft, token, body=BODY)

    assert again.status_code == 201
    assert again["Artifact-Id"] == first["Artifact-Id"]
    assert_nothing_left(media, partials, artifacts=1)


@pytest.mark.parametrize("version", [None, "0.2.2"])
def test_a_missing_or_other_protocol_version_is_412(client, draft, token, partials, version):
    extra = {"HTTP_TUS_RESUMABLE": version} if version else {}
    url = reverse("api_uploads", args=[draft.pk])
    headers = {"HTTP_AUTHORIZATION": token, "HTTP_UPLOAD_LENGTH": "10", **extra}
    response = client.generic("POST", url, b"", **headers)

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert "Tus-Resumable" in response.json()["error"]
    assert ArtifactUpload.objects.count() == 0


def test_a_patch_at_the_wrong_offset_is_409_and_changes_nothing(client, draft, token, partials):
    url = started(client, draft, token)
    assert patch(client, url, token, BODY[:100], 0).status_code == 204

    response = patch(client, url, token, BODY[:100], 0)

    assert response.status_code == 409
    assert "the upload is at 100" in response.json()["error"]
    assert ArtifactUpload.objects.get().offset == 100
    assert os.path.getsize(next(partials.iterdir())) == 100


def test_a_chunk_whose_checksum_fails_is_460_and_nothing_of_it_is_kept(
    client, draft, token, media, partials
):
    url = started(client, draft, token)

    response = patch(client, url, token, BODY[:500], 0, checksum=sha_header(b"other bytes"))

    assert response.status_code == 460
    assert response.reason_phrase == "Checksum Mismatch"
    assert "Upload-Checksum" in response.json()["error"]
    upload = ArtifactUpload.objects.get()
    assert upload.offset == 0
    assert os.path.getsize(next(partials.iterdir())) == 0
    assert ResumableSha256.from_bytes(bytes(upload.hash_state)).bytes_hashed == 0
    # The same chunk with its right checksum is then taken.
    assert patch(client, url, token, BODY, 0, checksum=sha_header(BODY)).status_code == 204
    assert Artifact.objects.get().sha256 == SHA


@pytest.mark.parametrize(
    "checksum", ["md5 " + base64.b64encode(b"x" * 16).decode(), "sha256 not-base64!", "sha256"]
)
def test_an_unusable_checksum_header_is_400(client, draft, token, partials, checksum):
    url = started(client, draft, token)

    response = patch(client, url, token, BODY, 0, checksum=checksum)

    assert response.status_code == 400
    assert ArtifactUpload.objects.get().offset == 0


@pytest.mark.parametrize("offset", ["", "-1", "²", "1e3"])
def test_a_missing_or_bad_offset_is_400(client, draft, token, partials, offset):
    url = started(client, draft, token)

    response = patch(client, url, token, BODY, offset)

    assert response.status_code == 400
    assert ArtifactUpload.objects.get().offset == 0


def test_a_patch_of_another_content_type_is_415(client, draft, token, partials):
    url = started(client, draft, token)

    response = patch(client, url, token, BODY, 0, content_type="application/octet-stream")

    assert response.status_code == 415
    assert OFFSET_TYPE in response.json()["error"]


def test_bytes_past_the_declared_length_are_413_and_nothing_is_kept(
    client, draft, token, media, partials
):
    url = started(client, draft, token, length=100)

    response = patch(client, url, token, BODY[:101], 0)

    assert response.status_code == 413
    assert "past the Upload-Length of 100" in response.json()["error"]
    assert ArtifactUpload.objects.get().offset == 0
    assert Artifact.objects.count() == 0


def test_an_upload_over_the_maximum_is_413_at_creation(client, draft, token, settings, partials):
    settings.ARTIFACT_MAX_BYTES = 1000

    response = create(client, draft, token, length=1001)

    assert response.status_code == 413
    assert ArtifactUpload.objects.count() == 0


@pytest.mark.parametrize(
    ("meta", "says"),
    [
        (metadata(kind="weights"), "name"),
        (metadata(filename="a.bin"), "kind"),
        (metadata(filename="a.bin", kind="poetry"), "kind"),
        (metadata(filename="../a.bin", kind="weights"), "folders"),
        (metadata(filename="a.bin", kind="weights", sha256="abc"), "64 hexadecimal"),
        ("filename !!notbase64", "Base64"),
        (metadata(filename="a.bin", kind="weights", supersedes="999999"), "supersedes"),
        (metadata(filename="a.bin", kind="weights", supersedes="9" * 30), "supersedes"),
    ],
)
def test_bad_metadata_is_400_and_creates_nothing(client, draft, token, partials, meta, says):
    response = create(client, draft, token, meta=meta)

    assert response.status_code == 400
    assert says in response.json()["error"]
    assert ArtifactUpload.objects.count() == 0
    assert not partials.exists() or list(partials.iterdir()) == []


def test_unknown_metadata_keys_are_accepted_and_ignored(client, draft, token, media, partials):
    meta = metadata(filename="a.bin", kind="weights", filetype="x/y", relative_path="w/a.bin")

    response = create(client, draft, token, meta=meta, body=BODY)

    assert response.status_code == 201
    assert Artifact.objects.get().original_name == "a.bin"


@pytest.mark.parametrize("length", ["", "-1", "ten", "0", "²"])
def test_a_missing_or_bad_length_is_400(client, draft, token, partials, length):
    response = create(client, draft, token, length=length)

    assert response.status_code == 400
    assert ArtifactUpload.objects.count() == 0


def test_a_declared_sha256_that_does_not_match_refuses_the_file_and_leaves_nothing(
    client, draft, token, media, partials
):
    url = started(
        client, draft, token, meta=metadata(filename="a.bin", kind="weights", sha256="0" * 64)
    )
    assert patch(client, url, token, BODY[:5000], 0).status_code == 204

    response = patch(client, url, token, BODY[5000:], 5000)

    assert response.status_code == 460
    assert SHA in response.json()["error"]
    assert "Nothing was stored" in response.json()["error"]
    assert_nothing_left(media, partials)
    assert not AuditEvent.objects.filter(action="artifact.uploaded").exists()


def test_after_termination_the_upload_is_404(client, draft, token, media, partials):
    url = started(client, draft, token)
    patch(client, url, token, BODY[:100], 0)

    response = client.delete(url, HTTP_TUS_RESUMABLE="1.0.0", HTTP_AUTHORIZATION=token)

    assert response.status_code == 204
    assert_nothing_left(media, partials)
    assert patch(client, url, token, BODY[100:200], 100).status_code == 404
    assert head(client, url, token).status_code == 404


def test_after_expiry_the_upload_is_410_and_the_sweep_removes_it(
    client, draft, token, media, partials
):
    url = started(client, draft, token)
    patch(client, url, token, BODY[:100], 0)
    ArtifactUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert patch(client, url, token, BODY[100:200], 100).status_code == 410
    assert head(client, url, token).status_code == 410
    swept = expire_uploads()
    assert (swept.removed, swept.aborted) == (1, 0)

    assert_nothing_left(media, partials)
    assert head(client, url, token).status_code == 404


def test_the_sweep_keeps_live_uploads_and_removes_orphaned_partial_files(
    client, draft, token, partials, settings
):
    started(client, draft, token)
    orphan = partials / "orphan-from-a-crash"
    orphan.write_bytes(b"x")
    old = (timezone.now() - timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS + 1)).timestamp()
    os.utime(orphan, (old, old))
    out = io.StringIO()

    call_command("expire_uploads", stdout=out)

    assert out.getvalue().strip() == "uploads removed: 1\nmultipart uploads aborted: 0"
    assert ArtifactUpload.objects.count() == 1
    assert not orphan.exists()


def test_a_second_patch_at_the_same_time_is_423(client, draft, token, partials):
    url = started(client, draft, token)
    with open(next(partials.iterdir()), "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        response = patch(client, url, token, BODY[:10], 0)

    assert response.status_code == 423
    assert ArtifactUpload.objects.get().offset == 0


def test_an_interrupted_patch_keeps_what_arrived_unless_it_carried_a_checksum(
    client, draft, token, partials
):
    url = started(client, draft, token)
    short = {
        "wsgi.input": io.BytesIO(BODY[:300]),
        "CONTENT_LENGTH": "1000",
        "CONTENT_TYPE": OFFSET_TYPE,
    }

    kept = patch(client, url, token, b"", 0, **short)

    assert kept.status_code == 204
    assert kept["Upload-Offset"] == "300"
    short = {
        "wsgi.input": io.BytesIO(BODY[300:400]),
        "CONTENT_LENGTH": "1000",
        "CONTENT_TYPE": OFFSET_TYPE,
    }
    dropped = patch(client, url, token, b"", 300, checksum=sha_header(BODY[300:1300]), **short)
    assert dropped.status_code == 400
    assert ArtifactUpload.objects.get().offset == 300
    assert os.path.getsize(next(partials.iterdir())) == 300


def test_a_withdrawn_case_takes_no_upload_and_an_open_one_is_discarded(
    client, draft, token, submitter, media, partials
):
    url = started(client, draft, token)
    patch(client, url, token, BODY[:100], 0)
    case_services.withdraw_case(actor=submitter, case_id=draft.pk, reason="Not releasing it.")

    response = patch(client, url, token, BODY[100:], 100)

    assert response.status_code == 403
    assert "withdrawn" in response.json()["error"]
    assert_nothing_left(media, partials)
    assert create(client, draft, token).status_code == 403


def test_a_submitted_case_takes_no_resumable_upload_and_one_under_way_is_discarded(
    client, draft, submitted_case, token, submitter, media, partials
):
    refused = create(client, submitted_case, token, body=BODY)

    assert refused.status_code == 409
    assert "only for draft cases" in refused.json()["error"]
    assert "PUT" in refused.json()["error"]
    assert refused["Tus-Resumable"] == "1.0.0"
    add_artifact(draft, submitter, b"model card text")
    url = started(client, draft, token)
    patch(client, url, token, BODY[:100], 0)
    case_services.submit_case(actor=submitter, case_id=draft.pk)

    continued = patch(client, url, token, BODY[100:], 100)

    assert continued.status_code == 409
    assert "only for draft cases" in continued.json()["error"]
    assert not Artifact.objects.filter(sha256=SHA).exists()
    assert_nothing_left(media, partials, artifacts=2)  # the two cases' model cards


def test_another_organization_gets_404_on_the_case_and_on_the_upload(
    client, draft, token, other_submitter, partials
):
    url = started(client, draft, token)
    patch(client, url, token, BODY[:100], 0)
    theirs = bearer(other_submitter)

    assert create(client, draft, theirs).status_code == 404
    assert head(client, url, theirs).status_code == 404
    assert patch(client, url, theirs, BODY[100:200], 100).status_code == 404
    deleted = client.delete(url, HTTP_TUS_RESUMABLE="1.0.0", HTTP_AUTHORIZATION=theirs)
    assert deleted.status_code == 404
    assert ArtifactUpload.objects.get().offset == 100


def test_an_assigned_reviewer_who_sees_the_case_may_not_upload(client, submitted_case, reviewer):
    response = create(client, submitted_case, bearer(reviewer))

    assert response.status_code in {403, 404}
    assert ArtifactUpload.objects.count() == 0


def test_without_a_token_or_session_it_is_401(client, draft, partials):
    response = create(client, draft, None)

    assert response.status_code == 401
    assert response["Tus-Resumable"] == "1.0.0"


def test_the_browser_session_needs_its_csrf_token(draft, submitter, media, partials):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(submitter)
    page = browser.get(reverse("portal:case_artifacts", args=[draft.pk]))
    csrf = page.context["csrf_token"]

    refused = create(browser, draft, None, body=BODY)
    allowed = create(browser, draft, None, body=BODY, HTTP_X_CSRFTOKEN=str(csrf))

    assert refused.status_code == 403
    assert allowed.status_code == 201, allowed.content
    assert Artifact.objects.get().uploaded_by == submitter


def test_method_override_lets_a_post_act_as_patch(client, draft, token, partials):
    url = started(client, draft, token)

    response = client.generic(
        "POST",
        url,
        BODY,
        content_type=OFFSET_TYPE,
        HTTP_X_HTTP_METHOD_OVERRIDE="PATCH",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET="0",
        HTTP_AUTHORIZATION=token,
    )

    assert response.status_code == 204
    assert Artifact.objects.get().sha256 == SHA


def test_a_long_patch_starts_writeback_as_it_goes_and_keeps_every_byte(
    client, draft, token, media, partials, monkeypatch
):
    from portal.files import resumable

    kicked = []
    fadvise = os.posix_fadvise
    monkeypatch.setattr(resumable, "WRITEBACK_BYTES", 4096)
    monkeypatch.setattr(
        resumable.os, "posix_fadvise", lambda *a: kicked.append(a[1:3]) or fadvise(*a)
    )
    url = started(client, draft, token)

    assert patch(client, url, token, BODY[:5000], 0).status_code == 204
    assert kicked == [(0, 5000)]  # from where the PATCH began, as far as it had written
    response = patch(client, url, token, BODY[5000:], 5000)

    assert response.status_code == 204, response.content
    assert kicked[1] == (5000, len(BODY) - 5000)
    artifact = Artifact.objects.get()
    assert (media / artifact.file.name).read_bytes() == BODY


def test_a_patch_locks_its_partial_file_then_reads_the_upload_once(
    client, draft, token, partials, django_assert_num_queries
):
    url = started(client, draft, token)

    # The token, the upload with its case and whether it is visible, the offset's update.
    with django_assert_num_queries(3):
        response = patch(client, url, token, BODY[:100], 0)

    assert response.status_code == 204
    assert ArtifactUpload.objects.get().offset == 100


@pytest.mark.parametrize("key", ["..", "a.b", "x" * 65])
def test_a_key_unlike_an_upload_key_names_no_file(client, draft, token, partials, key):
    started(client, draft, token)
    url = reverse("api_upload", args=[draft.pk, key])

    assert patch(client, url, token, BODY[:100], 0).status_code == 404
    assert ArtifactUpload.objects.get().offset == 0
