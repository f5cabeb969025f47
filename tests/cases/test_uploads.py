"""Browser uploads: streamed to disk, hashed on the way, refused without a trace."""

import hashlib
import io
import os
import re
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.cases.models import Artifact
from portal.files.uploads import HashingWriter, UploadRejected, clean_display_name
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import (
    BOUNDARY,
    assert_nothing_stored,
    audit_count,
    messages_of,
    post_streamed_upload,
    same_bytes,
    stored_files,
    upload_nonce,
    write_random_file,
)

MB = 1024 * 1024


def upload(client, case, content: bytes, *, name="card.md", kind="model_card", nonce, **extra):
    # Not SimpleUploadedFile: it would cut a long name to 255 characters before sending.
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        reverse("portal:artifact_upload", args=[case.pk]),
        {"nonce": nonce, "kind": kind, "file": file},
        **extra,
    )


def test_a_12_mb_upload_is_hashed_while_it_streams(client, submitter, draft, media, tmp_path):
    source = tmp_path / "aurora.safetensors"
    expected = write_random_file(source, 12 * MB)
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)

    with open(source, "rb") as handle:
        response = client.post(
            reverse("portal:artifact_upload", args=[draft.pk]),
            {"nonce": nonce, "kind": "weights", "file": handle},
        )

    assert response.status_code == 302
    artifact = Artifact.objects.get()
    assert artifact.sha256 == expected
    assert artifact.size == 12 * MB
    assert artifact.original_name == "aurora.safetensors"
    assert re.fullmatch(rf"artifacts/{draft.pk}/[0-9a-f]{{32}}", artifact.file.name)
    assert same_bytes(media / artifact.file.name, source)
    assert stored_files(media) == [media / artifact.file.name]  # nothing left in .incoming
    assert f"SHA-256 {expected}" in " ".join(messages_of(response))
    event = AuditEvent.objects.get(action="artifact.uploaded")
    assert event.details["sha256"] == expected


def test_memory_stays_flat_during_a_24_mb_upload(client, submitter, draft, media, tmp_path):
    source = tmp_path / "big.bin"
    expected = write_random_file(source, 24 * MB)
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = post_streamed_upload(client, draft, source, nonce=nonce)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 302, messages_of(response)
    artifact = Artifact.objects.get()
    assert (artifact.size, artifact.sha256) == (24 * MB, expected)
    assert same_bytes(media / artifact.file.name, source)
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB while uploading 24 MB"


def test_json_upload_answers_with_the_hash(client, submitter, draft, media):
    client.force_login(submitter)
    content = b"# Model card\n"
    response = upload(
        client, draft, content, nonce=upload_nonce(client, draft), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert response.json()["size"] == len(content)


def test_a_file_over_the_limit_is_refused_by_the_handler(client, submitter, draft, media, settings):
    settings.ARTIFACT_MAX_BYTES = 1000
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"x" * 5000, nonce=nonce)

    assert response.status_code == 302
    assert "larger than the maximum of 1000" in messages_of(response)[0]
    assert_nothing_stored(media, audit_before=before)


def test_a_file_over_the_limit_answers_413_to_the_progress_bar(
    client, submitter, draft, media, settings
):
    settings.ARTIFACT_MAX_BYTES = 1000
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"x" * 5000, nonce=nonce, HTTP_ACCEPT="application/json")

    assert response.status_code == 413
    assert "larger than the maximum" in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)


def test_a_file_at_the_limit_is_accepted(client, submitter, draft, media, settings):
    settings.ARTIFACT_MAX_BYTES = 1000
    client.force_login(submitter)
    upload(client, draft, b"x" * 1000, nonce=upload_nonce(client, draft))
    assert Artifact.objects.get().size == 1000


def test_an_empty_file_is_refused(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"", nonce=nonce)

    assert messages_of(response) == ["The file is empty."]
    assert_nothing_stored(media, audit_before=before)


def test_a_post_without_a_file_says_so(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = client.post(
        reverse("portal:artifact_upload", args=[draft.pk]), {"nonce": nonce, "kind": "weights"}
    )

    assert messages_of(response) == ["File: This field is required."]
    assert_nothing_stored(media, audit_before=before)


def test_an_unknown_kind_is_refused(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"data", kind="malware", nonce=nonce)

    assert "Kind of artifact" in messages_of(response)[0]
    assert_nothing_stored(media, audit_before=before)


def test_a_name_of_300_characters_is_refused(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"data", name="n" * 300, nonce=nonce)

    assert messages_of(response) == ["The file name is longer than 255 characters."]
    assert_nothing_stored(media, audit_before=before)


def test_folders_in_a_browser_file_name_are_dropped_and_storage_names_generated(
    client, submitter, draft, media
):
    client.force_login(submitter)
    upload(client, draft, b"data", name="../../etc/passwd", nonce=upload_nonce(client, draft))
    artifact = Artifact.objects.get()
    assert artifact.original_name == "passwd"
    assert re.fullmatch(rf"artifacts/{draft.pk}/[0-9a-f]{{32}}", artifact.file.name)
    assert stored_files(media) == [media / artifact.file.name]


def test_a_replayed_upload_form_stores_one_artifact(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    upload(client, draft, b"first", nonce=nonce)
    files, before = stored_files(media), audit_count()

    replay = upload(client, draft, b"first", nonce=nonce)

    assert messages_of(replay) == ["That upload was already sent; it is listed on the case."]
    assert_nothing_stored(media, artifacts_before=1, files_before=files, audit_before=before)
    json_replay = upload(client, draft, b"first", nonce=nonce, HTTP_ACCEPT="application/json")
    assert json_replay.status_code == 409


def test_an_upload_without_a_nonce_is_refused(client, submitter, draft, media):
    client.force_login(submitter)
    before = audit_count()
    response = upload(client, draft, b"data", nonce="")
    assert "already sent" in messages_of(response)[0]
    assert_nothing_stored(media, audit_before=before)


def test_another_persons_nonce_is_refused(client, submitter, org_admin, draft, media):
    client.force_login(org_admin)
    someone_elses = upload_nonce(client, draft)
    client.force_login(submitter)
    before = audit_count()
    upload(client, draft, b"data", nonce=someone_elses)
    assert_nothing_stored(media, audit_before=before)


def test_a_failed_csrf_check_leaves_no_temporary_file(submitter, draft, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()

    response = upload(client, draft, b"data" * 1000, nonce=nonce)

    assert response.status_code == 403
    assert_nothing_stored(media, audit_before=before)


def test_the_form_with_its_csrf_token_uploads(submitter, draft, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(submitter)
    page = client.get(reverse("portal:case_artifacts", args=[draft.pk]))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("portal:artifact_upload", args=[draft.pk]),
        {
            "nonce": page.context["upload_nonce"],
            "kind": "model_card",
            "file": SimpleUploadedFile("card.md", b"data"),
        },
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302
    # Back to the section the form is on.
    assert response["Location"] == reverse("portal:case_artifacts", args=[draft.pk])
    assert Artifact.objects.count() == 1


def test_an_upload_to_a_withdrawn_case_is_refused(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    client.post(
        reverse("portal:case_withdraw", args=[draft.pk]),
        {"reason": "Cancelled.", "understood": "on"},
    )
    before = audit_count()

    response = upload(client, draft, b"data", nonce=nonce)

    assert messages_of(response) == ["This case is withdrawn."]
    assert_nothing_stored(media, audit_before=before)


def test_supersedes_marks_the_earlier_version(client, submitter, draft, media):
    client.force_login(submitter)
    upload(client, draft, b"v1", nonce=upload_nonce(client, draft))
    first = Artifact.objects.get()
    client.post(
        reverse("portal:artifact_upload", args=[draft.pk]),
        {
            "nonce": upload_nonce(client, draft),
            "kind": "model_card",
            "file": SimpleUploadedFile("card.md", b"v2"),
            "supersedes": first.pk,
        },
    )
    assert Artifact.objects.latest("pk").supersedes == first


# The streaming writer on its own.


def test_hashing_writer_refuses_past_its_limit_and_removes_the_temporary_file(media):
    writer = HashingWriter(max_bytes=10)
    writer.write(b"12345")
    with pytest.raises(UploadRejected) as refusal:
        writer.write(b"678901")
    assert refusal.value.status == 413
    assert stored_files(media) == []


def test_hashing_writer_checks_the_expected_hash(media):
    writer = HashingWriter()
    writer.write(b"abc")
    with pytest.raises(UploadRejected, match="does not match"):
        writer.finish(expected_sha256="0" * 64)
    assert stored_files(media) == []

    writer = HashingWriter()
    writer.write(b"abc")
    streamed = writer.finish(expected_sha256=hashlib.sha256(b"abc").hexdigest().upper())
    assert (streamed.size, streamed.sha256) == (3, hashlib.sha256(b"abc").hexdigest())
    streamed.discard()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "needs a name"),
        ("a\\b", "folders"),
        ("a/b", "folders"),
        ("..", "folders"),
        ("evil\x07.bin", "control characters"),
        ("evil\n.bin", "control characters"),
        ("evil\u202e.bin", "control characters"),
        ("n" * 300, "longer than 255"),
    ],
)
def test_clean_display_name_refuses(name, message):
    with pytest.raises(UploadRejected, match=message):
        clean_display_name(name)


def test_clean_display_name_keeps_an_ordinary_name():
    assert clean_display_name("  Model card v2 (final).pdf ") == "Model card v2 (final).pdf"


def test_an_interrupted_browser_upload_leaves_nothing(client, submitter, draft, media):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="nonce"\r\n\r\n{nonce}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nweights\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="w.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + b"w" * 200_000  # the connection drops here: no closing boundary

    response = client.generic(
        "POST",
        reverse("portal:artifact_upload", args=[draft.pk]),
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(len(body) + 1_000_000),
        **{"wsgi.input": io.BytesIO(body)},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["File: This field is required."]
    assert_nothing_stored(media, audit_before=before)


def test_a_disk_error_while_hashing_is_raised_and_leaves_no_file(media_root, settings):
    """Hashing and writing run on a thread of their own; its error reaches the caller."""
    from portal.files.uploads import HashingWriter

    writer = HashingWriter(max_bytes=10 * 1024 * 1024)

    class FullDisk:
        closed = False

        def write(self, chunk):
            raise OSError(28, "No space left on device")

        def close(self):
            self.closed = True

    real = writer._file
    writer._file = FullDisk()
    real.close()
    with pytest.raises(UploadRejected, match="no room") as refused:
        for _ in range(50):
            writer.write(b"x" * 1024)
        writer.finish()
    assert refused.value.status == 507
    assert not os.path.exists(writer.path)
    assert writer._pump.finished.is_set()  # its helper thread hashes and writes no more


def test_chunks_are_hashed_in_order(media_root):
    import hashlib

    from portal.files.uploads import HashingWriter

    chunks = [bytes([n]) * (1000 + n) for n in range(200)]
    writer = HashingWriter(max_bytes=10 * 1024 * 1024)
    for chunk in chunks:
        writer.write(chunk)
    streamed = writer.finish()
    body = b"".join(chunks)
    assert streamed.sha256 == hashlib.sha256(body).hexdigest() and streamed.size == len(body)
    with open(streamed.temporary_file_path(), "rb") as stored:
        assert stored.read() == body
    streamed.discard()
