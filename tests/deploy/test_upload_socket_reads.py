"""Under gunicorn an upload's body is read straight from the socket (``portal.files.body``).

The bytes gunicorn already read ahead with the headers come first, and what
follows the body on the same connection — a pipelined next request — stays
gunicorn's: the next request on the connection is answered, and the stored
file is exactly the body.
"""

import base64
import hashlib
import http.client
import socket
import urllib.parse

import pytest
from django.urls import reverse

from portal.bench import servers
from portal.cases.models import Artifact
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import bearer

# gunicorn runs in another process and reads the test's committed rows: PostgreSQL only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
MB = 1024 * 1024


def _exchange(url: str, data: bytes) -> bytes:
    """Send ``data`` in one write; everything the server answers until it closes."""
    address = urllib.parse.urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as client:
        client.sendall(data)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer


def _statuses(answer: bytes) -> list[int]:
    return [int(line.split()[1]) for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1")]


def _request(method: str, path: str, token: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: {token}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if body or method in {"PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize("size", [100, 3 * MB + 17])
def test_a_put_and_the_next_request_on_one_connection(draft, submitter, media, size):
    """A body that came in with the headers (100 bytes) or mostly from the socket."""
    token = bearer(submitter)
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = reverse("api_artifact_put", args=[draft.pk, "w.bin"]) + "?kind=weights"
    with servers.gunicorn() as (url, _master):
        address = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        try:
            connection.request("PUT", path, body=body, headers={"Authorization": token})
            put = connection.getresponse()
            put.read()
            connection.request("GET", "/healthz")
            after = connection.getresponse()
            after.read()
        finally:
            connection.close()
    assert (put.status, put.getheader("Connection"), after.status) == (201, "keep-alive", 200)
    artifact = Artifact.objects.get()
    assert (artifact.size, artifact.sha256) == (size, hashlib.sha256(body).hexdigest())
    with artifact.file.open("rb") as stored:
        assert stored.read() == body


def test_tus_patches_and_a_pipelined_head_on_one_connection(draft, submitter, media):
    token = bearer(submitter)
    body = bytes(range(256)) * (5 * MB // 256) + b"tail"
    metadata = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in (("filename", "w.bin"), ("kind", "weights"))
    )
    tus = {"Tus_Resumable": "1.0.0"}
    patch = {**tus, "Content_Type": "application/offset+octet-stream"}
    with servers.gunicorn() as (url, _master):
        created = _exchange(
            url,
            _request(
                "POST",
                reverse("api_uploads", args=[draft.pk]),
                token,
                Upload_Length=str(len(body)),
                Upload_Metadata=metadata,
                Connection="close",
                **tus,
            ),
        )
        assert _statuses(created) == [201]
        location = next(
            line.split(b": ", 1)[1].decode()
            for line in created.split(b"\r\n")
            if line.lower().startswith(b"location:")
        )
        upload = urllib.parse.urlsplit(location).path
        half = 3 * MB + 5
        answer = _exchange(
            url,
            _request("PATCH", upload, token, body[:half], Upload_Offset="0", **patch)
            + _request("PATCH", upload, token, body[half:], Upload_Offset=str(half), **patch)
            + _request("HEAD", upload, token, Connection="close", **tus),
        )
    # The upload is finished by the second PATCH: the HEAD finds it gone.
    assert _statuses(answer) == [204, 204, 404]
    artifact = Artifact.objects.get()
    assert (artifact.size, artifact.sha256) == (len(body), hashlib.sha256(body).hexdigest())
