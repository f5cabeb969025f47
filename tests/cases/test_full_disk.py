"""A full disk during an upload: 507 in the API, a clear message in the browser, nothing left."""

import errno
import io
import os

import pytest
from django.urls import reverse

import portal.files.uploads
from portal.files.uploads import NO_ROOM_MESSAGE
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import (
    assert_nothing_stored,
    audit_count,
    bearer,
    messages_of,
    upload_nonce,
)


class FullDisk:
    """The temporary upload's file on a disk with no room left: every write fails."""

    def __init__(self, real):
        self.real = real

    @property
    def closed(self):
        return self.real.closed

    def write(self, chunk):
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self.real.close()


@pytest.fixture
def full_disk(monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        portal.files.uploads.os, "fdopen", lambda *args, **kw: FullDisk(real_fdopen(*args, **kw))
    )


def test_the_api_answers_507_json_and_stores_nothing(client, submitter, draft, media, full_disk):
    before = audit_count()
    body = b"w" * 3_000_000
    response = client.generic(
        "PUT",
        reverse("api_artifact_put", args=[draft.pk, "w.bin"]) + "?kind=weights",
        data=body,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=bearer(submitter),
    )
    assert response.status_code == 507
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": NO_ROOM_MESSAGE}
    assert_nothing_stored(media, audit_before=before)


def test_the_browser_says_the_server_has_no_room_and_stores_nothing(
    client, submitter, draft, media, full_disk
):
    client.force_login(submitter)
    nonce = upload_nonce(client, draft)
    before = audit_count()
    file = io.BytesIO(b"w" * 300_000)
    file.name = "w.bin"
    response = client.post(
        reverse("portal:artifact_upload", args=[draft.pk]),
        {"nonce": nonce, "kind": "weights", "file": file},
    )
    assert response.status_code == 302
    assert messages_of(response) == [NO_ROOM_MESSAGE]
    assert_nothing_stored(media, audit_before=before)


def test_a_full_disk_while_moving_into_storage_answers_507(
    client, submitter, draft, media, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    def no_room(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", no_room)
    before = audit_count()
    response = client.generic(
        "PUT",
        reverse("api_artifact_put", args=[draft.pk, "w.bin"]) + "?kind=weights",
        data=b"w" * 1000,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=bearer(submitter),
    )
    assert (response.status_code, response.json()) == (507, {"error": NO_ROOM_MESSAGE})
    assert_nothing_stored(media, audit_before=before)
