"""Access that closes stops the transfers already running, and records say what was sent.

A bank's client reads a large artifact slowly from a live server. The
developer revokes the grant, the window ends, or the developer withdraws the
case: the server stops sending within the re-check interval (set to 1 s here;
``DOWNLOAD_RECHECK_SECONDS`` may be at most 25, so the bound of 30 s holds for
every setting — ``tests/files/test_guarded_file.py``). The download record
then says how many bytes were really sent, and why the transfer ended; a
client that hangs up halfway is recorded with what it got, not with the whole file.
"""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant
from access.views.downloads import safe_filename
from portal.audit.models import AuditEvent
from portal.files import serve
from portal.files.models import Download
from tests.access.conftest import bearer, store_artifact
from tests.slow_client import SlowDownload

SIZE = 48 * 1024 * 1024 + 5
NAME = "frontier-weights.safetensors"
RECHECK = 1
# The interval, one check, one poll of the socket, and slack for a shared machine.
STOPS_WITHIN = RECHECK + serve.POLL_SECONDS + 3
Delivery = Download.Delivery


@pytest.fixture
def big_grant(submitter, make_ready_draft, move_case, bank):
    case = make_ready_draft(with_artifact=False)
    artifact = store_artifact(submitter, case, b"w" * SIZE, name=NAME)
    move_case(case, "submit")
    access_grant = access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)
    return access_grant, artifact


@pytest.fixture
def recheck_every_second(settings):
    settings.DOWNLOAD_RECHECK_SECONDS = RECHECK
    settings.DOWNLOAD_BACKEND = "sendfile"


def start(live_server, big_grant, operator) -> SlowDownload:
    access_grant, artifact = big_grant
    url = reverse("api_download", args=[access_grant.pk, artifact.pk, safe_filename(NAME)])
    download = SlowDownload(live_server.url + url, {"Authorization": bearer(operator)})
    assert (download.status, download.length) == (200, SIZE)
    download.read_for(1.0)  # running, far from done
    assert 0 < download.received < SIZE // 4
    return download


def finished_record(seconds: float = 10) -> Download:
    """The download record once the server closed the response."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        record = Download.objects.get(outcome=Download.Outcome.ALLOWED)
        if record.delivery != Delivery.SENDING:
            return record
        time.sleep(0.05)
    raise AssertionError("The response was never closed.")


def assert_stopped(download: SlowDownload, closed_at: float) -> Download:
    closed_on_the_clock = timezone.now() - timedelta(seconds=time.monotonic() - closed_at)
    download.read_to_end(within=settings.DOWNLOAD_STOP_BOUND_SECONDS)
    assert download.ended, "the server kept the connection open"
    assert download.received < SIZE
    # The promise: the client stops receiving within 30 s (the bytes the
    # kernel already held arrive after the server stopped).
    assert download.last_byte_at - closed_at <= settings.DOWNLOAD_STOP_BOUND_SECONDS
    record = finished_record()
    assert record.delivery == Delivery.STOPPED
    assert (record.bytes_requested, record.whole_file) == (SIZE, True)
    assert record.bytes_sent == download.received
    stopped = AuditEvent.objects.get(action="download.stopped")
    assert stopped.details["download"] == record.pk
    assert stopped.details["bytes_sent"] == record.bytes_sent
    # The server stopped sending within the interval, one check and one poll.
    assert stopped.created_at - closed_on_the_clock <= timedelta(seconds=STOPS_WITHIN)
    return record


def test_a_revoke_stops_a_download_already_running(
    live_server, recheck_every_second, big_grant, operator, accepted, submitter
):
    download = start(live_server, big_grant, operator)

    access_services.revoke_access(
        actor=submitter, grant_id=big_grant[0].pk, reason="Weights leaked elsewhere."
    )
    revoked_at = time.monotonic()

    assert_stopped(download, revoked_at)


def test_the_end_of_the_window_stops_a_download_before_expiry_runs(
    live_server, recheck_every_second, big_grant, operator, accepted
):
    access_grant = big_grant[0]
    download = start(live_server, big_grant, operator)

    AccessGrant.objects.filter(pk=access_grant.pk).update(ends_at=timezone.now())
    ended_at = time.monotonic()

    assert_stopped(download, ended_at)
    assert AccessGrant.objects.get(pk=access_grant.pk).status == AccessGrant.Status.ACTIVE


def test_withdrawing_the_case_stops_its_downloads_and_refuses_the_next(
    live_server, recheck_every_second, big_grant, operator, accepted, move_case, client
):
    access_grant, artifact = big_grant
    download = start(live_server, big_grant, operator)

    move_case(access_grant.case, "withdraw")
    withdrawn_at = time.monotonic()

    assert_stopped(download, withdrawn_at)
    client.force_login(operator)
    url = reverse("access:download", args=[access_grant.pk, artifact.pk, safe_filename(NAME)])
    assert client.get(url).status_code == 404
    assert Download.objects.order_by("-pk").first().outcome == Download.Outcome.DENIED_NOT_GRANTED


def test_a_download_left_alone_completes_and_says_so(
    live_server, recheck_every_second, big_grant, operator, accepted
):
    download = start(live_server, big_grant, operator)
    download.read_to_end(within=60, pause=0)

    assert download.received == SIZE
    record = finished_record()
    assert (record.delivery, record.bytes_sent, record.bytes_requested) == (
        Delivery.COMPLETE,
        SIZE,
        SIZE,
    )
    assert not AuditEvent.objects.filter(action="download.stopped").exists()


def test_a_client_that_hangs_up_midway_is_recorded_with_what_it_got(
    live_server, recheck_every_second, big_grant, operator, accepted, submitter, client
):
    download = start(live_server, big_grant, operator)
    download.hang_up()

    record = finished_record()
    assert record.delivery == Delivery.INTERRUPTED
    assert download.received <= record.bytes_sent < SIZE
    assert record.bytes_requested == SIZE

    # The developer's download log tells requested from sent.
    client.force_login(submitter)
    page = client.get(reverse("access:case_downloads", args=[big_grant[0].case_id]))
    text = page.content.decode()
    assert f"{record.bytes_sent:,} bytes" in text
    assert f"of {SIZE:,} bytes" in text and "requested" in text
    assert "Interrupted: the client went away" in text
    assert "Sent in full" not in text
