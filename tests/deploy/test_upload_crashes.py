"""A gunicorn worker killed in the middle of an upload leaves files behind; the storage
check removes them, and storage and rows match again.

The two points the issue names: mid-body (the worker is sent SIGKILL while the body
streams in, leaving its temporary file), and after the file was moved into storage but
before the commit (the worker exits there, as ``UPLOAD_CRASH_POINT=after-move`` asks,
leaving a stored file with no row).
"""

import http.client
import os
import signal
import socket
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.bench import servers
from portal.cases.models import Artifact
from portal.files.reconcile import check_storage
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import bearer

# gunicorn runs in another process and reads the test's committed rows: PostgreSQL only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
MB = 1024 * 1024


def _url(case) -> str:
    return reverse("api_artifact_put", args=[case.pk, "w.bin"]) + "?kind=weights"


def _put(base_url: str, path: str, token: str, body: bytes) -> int:
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("PUT", path, body=body, headers={"Authorization": token})
        return connection.getresponse().status
    finally:
        connection.close()


def _storage_matches_rows(media: Path) -> None:
    """Every stored file has its row, every row its file, no temporary upload is left."""
    on_disk = {
        str(path.relative_to(media))
        for path in media.rglob("*")
        if path.is_file() and ".incoming" not in path.parts
    }
    assert on_disk == {artifact.file.name for artifact in Artifact.objects.all()}
    assert not list((media / ".incoming").glob("upload-*"))


def _wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_worker_killed_mid_body_leaves_a_temporary_file_that_the_check_removes(
    draft, submitter, media
):
    token = bearer(submitter)
    incoming = media / ".incoming"
    with servers.gunicorn() as (url, master):
        address = urllib.parse.urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=30) as client:
            client.sendall(
                (
                    f"PUT {_url(draft)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: {token}\r\nContent-Length: {8 * MB}\r\n\r\n"
                ).encode()
                + b"w" * (3 * MB)
            )
            # The worker is streaming the body into its temporary file: kill it there.
            temporary = _wait_for(
                lambda: [p for p in incoming.glob("upload-*") if p.stat().st_size >= MB]
            )
            [worker] = servers.worker_pids(master.pid)
            os.kill(worker, signal.SIGKILL)
        # The master starts a new worker, which serves the next upload whole.
        _wait_for(lambda: servers.worker_pids(master.pid) not in ([], [worker]))
        assert _put(url, _url(draft), token, b"the next upload is whole") == 201

    assert temporary[0].exists()  # left behind by the dead worker
    assert Artifact.objects.count() == 1
    settings.STORAGE_TEMP_GRACE_HOURS = 0
    report = check_storage(fix=True)
    assert [leftover.name for leftover in report.temporary] == [str(temporary[0])]
    assert report.unowned == [] and report.missing == []
    _storage_matches_rows(media)


def test_a_worker_killed_after_the_move_before_the_commit_leaves_a_file_the_check_removes(
    draft, submitter, media
):
    token = bearer(submitter)
    with (
        servers.gunicorn(env={"UPLOAD_CRASH_POINT": "after-move"}) as (url, _master),
        pytest.raises((http.client.HTTPException, ConnectionError)),
    ):
        _put(url, _url(draft), token, b"w" * MB)

    assert Artifact.objects.count() == 0  # the row died with the transaction
    [orphan] = (media / "artifacts" / str(draft.pk)).iterdir()  # the file did not
    settings.STORAGE_TEMP_GRACE_HOURS = 0
    report = check_storage(fix=True)
    assert [leftover.name for leftover in report.unowned] == [f"artifacts/{draft.pk}/{orphan.name}"]
    assert report.temporary == [] and report.missing == []
    assert not orphan.exists()
    _storage_matches_rows(media)
