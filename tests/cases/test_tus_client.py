"""A real tus client (``tuspy``) on a live server: the connection dies halfway, it resumes."""

import hashlib
import socket
import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from tusclient.client import TusClient
from tusclient.uploader import Uploader

from portal.cases.models import Artifact, ArtifactUpload
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import bearer, make_draft, write_random_file

MIB = 1024 * 1024
SIZE = 3 * MIB


class Sha256Uploader(Uploader):
    """tuspy sends sha1 checksums by default; this server takes sha256 (Tus-Checksum-Algorithm)."""

    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


@pytest.fixture(autouse=True)
def partials(settings, tmp_path):
    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    return settings.UPLOADS_PARTIAL_DIR


def cut_off_patch(url: str, token: str, offset: int, body: bytes, *, declared: int) -> None:
    """Send a PATCH declaring ``declared`` bytes, send only ``body``, and drop the connection."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: {token}\r\nTus-Resumable: 1.0.0\r\n"
            f"Content-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)


def wait_for_offset(expected: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if ArtifactUpload.objects.filter(offset=expected).exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"the server never reached offset {expected}")


def test_tuspy_uploads_is_cut_off_halfway_and_resumes(
    live_server, transactional_db, submitter, media, tmp_path
):
    case = make_draft(submitter)
    token = bearer(submitter)
    source = tmp_path / "aurora.safetensors"
    expected = write_random_file(source, SIZE)
    client = TusClient(
        live_server.url + reverse("api_uploads", args=[case.pk]), headers={"Authorization": token}
    )
    metadata = {"filename": "aurora.safetensors", "kind": "weights", "sha256": expected}

    first = Sha256Uploader(
        str(source), client=client, chunk_size=MIB, metadata=metadata, upload_checksum=True
    )
    first.upload(stop_at=MIB)  # one chunk, then the script is "interrupted"
    assert ArtifactUpload.objects.get().offset == MIB

    # The next PATCH loses its connection halfway: what arrived is kept.
    data = source.read_bytes()
    cut_off_patch(first.url, token, MIB, data[MIB : MIB + MIB // 2], declared=MIB)
    wait_for_offset(MIB + MIB // 2)

    resumed = Sha256Uploader(
        str(source), client=client, url=first.url, chunk_size=MIB, upload_checksum=True
    )
    assert resumed.offset == MIB + MIB // 2  # asked the server (HEAD), sends only the rest
    resumed.upload()

    artifact = Artifact.objects.get()
    assert (artifact.sha256, artifact.size) == (expected, SIZE)
    assert (media / artifact.file.name).read_bytes() == data
    assert not ArtifactUpload.objects.exists()
