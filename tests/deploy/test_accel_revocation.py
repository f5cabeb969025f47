"""With DOWNLOAD_BACKEND=x-accel behind nginx, a revoke still stops throttled clients within 30 s.

nginx cannot be stopped mid-response, so the app hands it only transfers that
end within DOWNLOAD_ACCEL_SECONDS at the client's proven speed
(``portal.files.pace``). A throttled ``curl --limit-rate`` or ``aria2c
--max-download-limit`` has proven no such speed: the app sends its bytes
itself through nginx, re-checking the grant, and a revoke ends the transfer
mid-response. A client that proved its speed gets nginx; every request leaves
its record and its audit event either way.
"""

import io
import subprocess
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from access import services as access_services
from access.views.downloads import safe_filename
from portal.audit.models import AUDIT_CHAIN_LOCK_KEY, AuditEvent
from portal.bench import servers
from portal.bench.pages import operator_token
from portal.bench.transfers import download_artifact
from portal.files import pace
from portal.files.models import Download
from tests.deploy.conftest import require_program

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SIZE = 64 * 1024 * 1024 + 3
ENV = {"DOWNLOAD_BACKEND": "x-accel", "DOWNLOAD_RECHECK_SECONDS": 1}
Delivery = Download.Delivery
Outcome = Download.Outcome


@pytest.fixture
def granted(tmp_path):
    call_command("seed_demo", verbosity=0)
    access_grant, artifact, _path = download_artifact(SIZE, tmp_path)
    url = reverse(
        "api_download", args=[access_grant.pk, artifact.pk, safe_filename(artifact.original_name)]
    )
    token = operator_token()
    # No speed left over from an earlier test with the same ids.
    operator = get_user_model().objects.get(username="operator")
    cache.delete(pace.pace_key(operator.pk, f"access.accessgrant:{access_grant.pk}"))
    return access_grant, url, token


@pytest.fixture
def behind_nginx(tmp_path):
    require_program("nginx", "apt-get install nginx-light")
    with (
        servers.gunicorn(workers=3, env=ENV) as (app_url, _master),
        servers.nginx(app_url, tmp_path / "nginx") as nginx_url,
    ):
        yield nginx_url, tmp_path / "nginx" / "downloads.log"


def revoke_after(access_grant, seconds: float) -> float:
    time.sleep(seconds)
    access_services.revoke_access(
        actor=access_grant.case.created_by, grant_id=access_grant.pk, reason="Credentials leaked."
    )
    return time.monotonic()


def wait_for(process: subprocess.Popen, revoked_at: float) -> float:
    """Seconds from the revoke until the client ended (it gives up once nothing comes)."""
    process.wait(timeout=settings.DOWNLOAD_STOP_BOUND_SECONDS + 30)
    return time.monotonic() - revoked_at


def assert_every_request_recorded(count_at_least: int) -> list[Download]:
    records = list(Download.objects.order_by("pk"))
    assert len(records) >= count_at_least
    for record in records:
        assert AuditEvent.objects.filter(details__download=record.pk).exists()
    return records


def settled(records: list[Download], seconds: float = 10) -> list[Download]:
    until = time.monotonic() + seconds
    while any(r.delivery == Delivery.SENDING for r in records) and time.monotonic() < until:
        time.sleep(0.1)
        records = [Download.objects.get(pk=r.pk) for r in records]
    return records


def test_a_revoke_stops_a_throttled_curl_behind_nginx_x_accel(granted, behind_nginx, tmp_path):
    access_grant, url, token = granted
    nginx_url, _log = behind_nginx
    target = tmp_path / "curl.out"
    curl = subprocess.Popen(  # noqa: S603 - fixed program, loopback URL
        [require_program("curl", "apt-get install curl"), "-s", "-C", "-", "--limit-rate", "2M"]
        + ["-o", str(target), "-H", f"Authorization: Bearer {token}", nginx_url + url]
    )
    revoked_at = revoke_after(access_grant, 2.0)
    assert wait_for(curl, revoked_at) <= settings.DOWNLOAD_STOP_BOUND_SECONDS
    assert curl.returncode == 18  # a partial transfer: curl keeps no short file as whole
    assert 0 < target.stat().st_size < SIZE

    # A resume is refused; both requests are recorded, the first as stopped.
    again = subprocess.run(  # noqa: S603
        ["curl", "-s", "-C", "-", "-o", str(target), "-w", "%{http_code}"]
        + ["-H", f"Authorization: Bearer {token}", nginx_url + url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.stdout == "404"
    first, resumed = settled(assert_every_request_recorded(2))
    assert (first.outcome, first.delivery) == (Outcome.ALLOWED, Delivery.STOPPED)
    assert first.bytes_sent < SIZE
    assert resumed.outcome == Outcome.DENIED_REVOKED
    assert AuditEvent.objects.filter(action="download.stopped").count() == 1


def test_a_revoke_stops_a_throttled_aria2c_behind_nginx_x_accel(granted, behind_nginx, tmp_path):
    access_grant, url, token = granted
    nginx_url, _log = behind_nginx
    aria2c = subprocess.Popen(  # noqa: S603 - fixed program, loopback URL
        [require_program("aria2c", "apt-get install aria2"), "-q", "-x4", "-s4", "-c"]
        + ["--max-download-limit=1M", "--file-allocation=none", "-d", str(tmp_path)]
        + ["-o", "aria.out", "--header", f"Authorization: Bearer {token}", nginx_url + url]
    )
    revoked_at = revoke_after(access_grant, 3.0)
    assert wait_for(aria2c, revoked_at) <= settings.DOWNLOAD_STOP_BOUND_SECONDS
    assert aria2c.returncode != 0
    assert (tmp_path / "aria.out.aria2").exists()  # aria2c knows it is unfinished

    records = settled(assert_every_request_recorded(2))
    allowed = [r for r in records if r.outcome in Download.SERVED]
    assert allowed and all(r.delivery == Delivery.STOPPED for r in allowed)
    assert sum(r.bytes_sent for r in allowed) < SIZE
    assert all(r.outcome == Outcome.DENIED_REVOKED for r in records if r not in allowed)


def test_a_client_that_proved_its_speed_gets_nginx_and_is_recorded(granted, behind_nginx):
    _access_grant, url, token = granted
    nginx_url, log = behind_nginx
    for _ in range(2):
        result = subprocess.run(  # noqa: S603
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}"]
            + ["-H", f"Authorization: Bearer {token}", nginx_url + url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.stdout == f"200 {SIZE}"
    measured, accelerated = settled(assert_every_request_recorded(2))
    # The first the app sent (and measured); the second nginx sent, in its log.
    assert (measured.delivery, measured.bytes_sent) == (Delivery.COMPLETE, SIZE)
    assert accelerated.delivery == Delivery.REQUESTED
    until = time.monotonic() + 10
    while accelerated.request_id not in log.read_text() and time.monotonic() < until:
        time.sleep(0.1)
    assert f"{accelerated.request_id} 200 {SIZE}" in log.read_text()


def test_a_request_cut_off_during_the_check_is_matched_by_its_499_line(granted, behind_nginx):
    """A client gives up on a request the app is still checking: nginx logs 499 before
    the app has answered. That line carries the request id the app recorded, so
    ingestion ends the record "interrupted", nothing sent, not "requested" for ever."""
    access_grant, url, token = granted
    nginx_url, log = behind_nginx
    # A proven speed, so that the app's answer would be an X-Accel one ("requested").
    operator = get_user_model().objects.get(username="operator")
    key = pace.pace_key(operator.pk, f"access.accessgrant:{access_grant.pk}")
    cache.set(key, 10**12, 60)
    cache.set(key + ":due", 1, 60)
    # The check waits on the audit chain's lock, which this test holds.
    with connection.cursor() as cursor:
        # Raw SQL is safe: a fixed statement, the lock key a bound parameter.
        cursor.execute("SELECT pg_advisory_lock(%s)", [AUDIT_CHAIN_LOCK_KEY])
        try:
            cut = subprocess.run(  # noqa: S603 - fixed program, loopback URL
                ["curl", "-s", "-o", "/dev/null", "--max-time", "2", "-H", "Range: bytes=0-99"]
                + ["-w", "%{http_code}", "-H", f"Authorization: Bearer {token}", nginx_url + url],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert (cut.returncode, cut.stdout) == (28, "000")  # curl's timeout: it hung up
            until = time.monotonic() + 10
            while " 499 " not in log.read_text() and time.monotonic() < until:
                time.sleep(0.1)
        finally:
            # Raw SQL is safe: a fixed statement, the lock key a bound parameter.
            cursor.execute("SELECT pg_advisory_unlock(%s)", [AUDIT_CHAIN_LOCK_KEY])
    request_id, status, sent, completion = log.read_text().split()
    assert (status, sent, completion) == ("499", "0", '""')
    until = time.monotonic() + 10
    while not AuditEvent.objects.filter(action="download.allowed").exists():
        assert time.monotonic() < until, "the app never finished its check"
        time.sleep(0.1)
    (record,) = assert_every_request_recorded(1)
    assert (record.request_id, record.delivery) == (request_id, Delivery.REQUESTED)

    call_command("ingest_nginx_downloads", str(log), stdout=io.StringIO())
    record.refresh_from_db()
    assert (record.delivery, record.bytes_sent) == (Delivery.INTERRUPTED, 0)
