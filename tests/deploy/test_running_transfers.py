"""Revocation reaches transfers already running, on the real servers; records say what was sent.

gunicorn with deploy/gunicorn.conf.py sends a download with sendfile(2) in
segments and re-checks the grant between them (DOWNLOAD_RECHECK_SECONDS, 1 s
here); nginx in front (deploy/nginx.conf) passes the app's bytes through, so
a revoke stops the client behind nginx as well. An interrupted ``curl`` is
recorded with the bytes that left the server, not the whole file; for nginx
X-Accel, the bytes nginx logged are read back by ``ingest_nginx_downloads``.
"""

import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from access import services as access_services
from access.views.downloads import safe_filename
from portal.audit.models import AuditEvent
from portal.bench import servers
from portal.bench.pages import operator_token
from portal.bench.transfers import curl, download_artifact
from portal.files import serve
from portal.files.models import Download
from tests.deploy.conftest import require_program
from tests.slow_client import SlowDownload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SIZE = 64 * 1024 * 1024 + 3
RECHECK = 1
# The interval, one send timeout, and slack for a busy machine (a CI run missed 5 s by
# 50 ms); still far under the 30 s promise, and a transfer never re-checked never stops.
STOPS_WITHIN = RECHECK + serve.POLL_SECONDS + 8
Delivery = Download.Delivery


@pytest.fixture
def granted(tmp_path):
    call_command("seed_demo", verbosity=0)
    access_grant, artifact, _path = download_artifact(SIZE, tmp_path)
    url = reverse(
        "api_download", args=[access_grant.pk, artifact.pk, safe_filename(artifact.original_name)]
    )
    return access_grant, url, {"Authorization": f"Bearer {operator_token()}"}


def record_when_closed(seconds: float = 15) -> Download:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        record = Download.objects.filter(outcome=Download.Outcome.ALLOWED).order_by("-pk").first()
        if record is not None and record.delivery not in ("", Delivery.SENDING):
            return record
        time.sleep(0.1)
    raise AssertionError("The download was never closed.")


def revoke_while_reading(access_grant, download: SlowDownload) -> float:
    download.read_for(1.0)
    assert 0 < download.received < SIZE // 2
    access_services.revoke_access(
        actor=access_grant.case.created_by, grant_id=access_grant.pk, reason="Credentials leaked."
    )
    revoked_at = time.monotonic()
    download.read_to_end(within=settings.DOWNLOAD_STOP_BOUND_SECONDS)
    return revoked_at


def assert_server_stopped_within_the_interval(access_grant) -> None:
    """The worker stopped sending within the interval, one check and one poll."""
    access_grant.refresh_from_db()
    stopped = AuditEvent.objects.get(action="download.stopped")
    assert stopped.created_at - access_grant.revoked_at <= timedelta(seconds=STOPS_WITHIN)


def test_a_revoke_stops_a_running_download_from_gunicorn(granted):
    access_grant, url, auth = granted
    env = {"DOWNLOAD_RECHECK_SECONDS": RECHECK}
    with servers.gunicorn(env=env) as (app_url, _master):
        download = SlowDownload(app_url + url, auth)
        assert (download.status, download.length) == (200, SIZE)
        revoked_at = revoke_while_reading(access_grant, download)

        assert download.ended and download.received < SIZE
        # The promise: the client stops receiving within 30 s (the bytes the
        # kernel already held arrive after the server stopped).
        assert download.last_byte_at - revoked_at <= settings.DOWNLOAD_STOP_BOUND_SECONDS
        record = record_when_closed()
    assert record.delivery == Delivery.STOPPED
    # sendfile counted what the kernel took; the connection closed cleanly, so
    # the client got every one of those bytes.
    assert record.bytes_sent == download.received
    assert_server_stopped_within_the_interval(access_grant)


def test_a_revoke_stops_a_running_download_behind_nginx(granted, tmp_path):
    require_program("nginx", "apt-get install nginx-light")
    access_grant, url, auth = granted
    env = {"DOWNLOAD_RECHECK_SECONDS": RECHECK}
    with (
        servers.gunicorn(env=env) as (app_url, _master),
        servers.nginx(app_url, tmp_path / "nginx") as nginx_url,
    ):
        download = SlowDownload(nginx_url + url, auth)
        assert (download.status, download.length) == (200, SIZE)
        revoked_at = revoke_while_reading(access_grant, download)

        assert download.ended and download.received < SIZE
        # The promise: the client stops receiving within 30 s (the bytes the
        # kernel already held arrive after the server stopped).
        assert download.last_byte_at - revoked_at <= settings.DOWNLOAD_STOP_BOUND_SECONDS
        record = record_when_closed()
    assert record.delivery == Delivery.STOPPED
    assert download.received <= record.bytes_sent < SIZE
    assert_server_stopped_within_the_interval(access_grant)


def _interrupted_curl(url: str, auth: dict) -> int:
    """curl that gives up after 2 s at 4 MB/s: (bytes it received)."""
    result = subprocess.run(  # noqa: S603 - fixed program, loopback URL
        [
            require_program("curl", "apt-get install curl"),
            "-s",
            "-o",
            "/dev/null",
            "--limit-rate",
            "4M",
            "--max-time",
            "2",
            "-w",
            "%{size_download}",
            "-H",
            f"Authorization: {auth['Authorization']}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 28  # timed out: interrupted
    return int(float(result.stdout))


def test_an_interrupted_curl_is_recorded_with_the_bytes_sent_not_the_file(granted):
    _access_grant, url, auth = granted
    with servers.gunicorn() as (app_url, _master):
        received = _interrupted_curl(app_url + url, auth)
        record = record_when_closed()
    assert 0 < received < SIZE
    assert record.delivery == Delivery.INTERRUPTED
    assert (record.bytes_requested, record.whole_file) == (SIZE, True)
    # What left the server: what curl got, plus at most what the sockets held.
    assert received <= record.bytes_sent < received + 16 * 1024 * 1024


def test_x_accel_downloads_say_requested_until_nginx_log_is_read(granted, tmp_path):
    require_program("nginx", "apt-get install nginx-light")
    _access_grant, url, auth = granted
    nginx_dir = tmp_path / "nginx"
    with (
        servers.gunicorn(env={"DOWNLOAD_BACKEND": "x-accel"}) as (app_url, _master),
        servers.nginx(app_url, nginx_dir) as nginx_url,
    ):
        # The client proves its speed on a first download the app sends (a client of
        # unknown speed never goes to nginx: docs/transfers.md); then nginx sends.
        header = f"Authorization: {auth['Authorization']}"
        assert curl("-H", header, nginx_url + url)[0] == 200
        received = _interrupted_curl(nginx_url + url, auth)
        record = Download.objects.filter(outcome=Download.Outcome.ALLOWED).latest("pk")
        assert (record.delivery, record.bytes_sent) == (Delivery.REQUESTED, None)
        assert record.bytes_requested == SIZE and record.request_id
        log = nginx_dir / "downloads.log"
        until = time.monotonic() + 10
        while record.request_id not in log.read_text() and time.monotonic() < until:
            time.sleep(0.1)

    call_command("ingest_nginx_downloads", str(log), stdout=(out := _Output()))
    assert out.text.strip() == "downloads completed: 1"
    record.refresh_from_db()
    assert record.delivery == Delivery.INTERRUPTED
    assert received <= record.bytes_sent < SIZE
    # Reading the same log again changes nothing.
    call_command("ingest_nginx_downloads", str(log), stdout=(again := _Output()))
    assert again.text.strip() == "downloads completed: 0"


class _Output:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_the_bench_measures_the_recheck_at_smoke_size(tmp_path):
    """``make bench`` reports the re-check's cost (docs/benchmarks.md); at smoke size it runs."""
    from portal.bench import report, transfers
    from portal.bench.seed import SCALES

    call_command("seed_demo", verbosity=0)
    smoke = SCALES["smoke"]
    results = transfers.measure_revocation_overhead(smoke.artifact_bytes, 1, tmp_path)
    assert [r.name for r in results] == [
        "app, no re-check (baseline)",
        f"app, re-check every {settings.DOWNLOAD_RECHECK_SECONDS} s (default)",
        "app, re-check every 1 s",
    ]
    assert all("HTTP 200, complete True" in r.note for r in results[1:])
    assert results[0].extra["check_ms"] > 0
    assert report.recheck_target(results).startswith("| re-checking for revocation ≤ 1.05×")
