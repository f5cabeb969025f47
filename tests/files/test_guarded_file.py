"""GuardedFile: the bytes of one response, counted as they leave and stopped when access closes.

Two ways out: a WSGI server that iterates ``read()``, and gunicorn with
``deploy/gunicorn.conf.py``, which calls ``send_to(sock)`` (sendfile(2) on a
non-blocking socket). Both count only bytes the server really sent, re-check
access at most once an interval, and report once on close.
"""

import io
import os
import socket
import threading
import time

import pytest
from django.conf import settings

from portal.files import serve
from portal.files.serve import GuardedFile, TransferStopped

DATA = bytes(range(256)) * 4096  # 1 MiB


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(serve.time, "monotonic", fake)
    return fake


def guarded(data=DATA, *, start=0, length=None, still_open=None, recheck=5, closed=None):
    return GuardedFile(
        io.BytesIO(data),
        start=start,
        length=len(data) - start if length is None else length,
        still_open=still_open,
        recheck_seconds=recheck,
        on_close=closed.append if closed is not None else None,
    )


def test_read_sends_the_window_and_counts_what_the_server_came_back_for():
    closed = []
    body = guarded(start=10, length=100, closed=closed)
    assert body.read(60) == DATA[10:70]
    assert body.sent == 0  # handed to the server, not yet known to be sent
    assert body.read(60) == DATA[70:110]
    assert body.sent == 60
    assert body.read(60) == b""
    assert (body.sent, body.complete) == (100, True)
    body.close()
    body.close()
    assert closed == [body]  # reported once


def test_a_client_that_went_away_leaves_the_bytes_it_really_got():
    closed = []
    body = guarded(closed=closed)
    body.read(4096)
    body.read(4096)  # the server failed to send this one: it never comes back
    body.close()
    assert (closed[0].sent, closed[0].complete, closed[0].stopped) == (4096, False, False)


def test_access_is_asked_again_once_an_interval_and_a_no_stops_the_transfer(clock):
    answers = []

    def still_open():
        answers.append(clock.now)
        return len(answers) < 2

    body = guarded(still_open=still_open, recheck=5)
    for _ in range(10):
        body.read(1000)
    assert answers == []  # not before the interval
    clock.now += 5
    body.read(1000)
    body.read(1000)
    assert answers == [1005.0]  # once an interval, not once a read
    clock.now += 5
    with pytest.raises(TransferStopped):
        body.read(1000)
    assert body.stopped and not body.complete
    assert body.sent == 12_000


def test_without_an_interval_access_is_never_asked(clock):
    body = guarded(still_open=lambda: pytest.fail("asked"), recheck=0)
    clock.now += 3600
    assert body.read() == DATA


def test_send_to_sends_exactly_the_window_with_sendfile(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(DATA)
    server, client = socket.socketpair()
    received = bytearray()
    reader = threading.Thread(target=lambda: _drain(client, received))
    reader.start()
    body = GuardedFile(path.open("rb"), start=100, length=500_000)
    body.send_to(server)
    server.close()
    reader.join(10)
    assert bytes(received) == DATA[100:500_100]
    assert (body.sent, body.complete) == (500_000, True)
    assert server.fileno() == -1  # closed by us, after send_to restored it


def test_send_to_stops_a_slow_client_within_the_interval_once_access_closes(tmp_path):
    """The socket's buffer is full and the client reads slowly: the transfer still
    looks at the clock (POLL_SECONDS) and stops once access closed."""
    size = 64 * 1024 * 1024
    path = tmp_path / "big.bin"
    with path.open("wb") as handle:
        handle.truncate(size)
    server, client = socket.socketpair()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    open_until = time.monotonic() + 1.5
    body = GuardedFile(
        path.open("rb"),
        start=0,
        length=size,
        still_open=lambda: time.monotonic() < open_until,
        recheck_seconds=1,
    )
    received = bytearray()
    reader = threading.Thread(target=lambda: _drain(client, received, pause=0.01), daemon=True)
    reader.start()
    started = time.monotonic()
    body.send_to(server)
    stopped_after = time.monotonic() - started
    server.close()
    reader.join(30)
    assert body.stopped and not body.complete
    assert 1.5 <= stopped_after <= 1.5 + 1 + serve.POLL_SECONDS + 1
    assert len(received) == body.sent < size


def test_the_stop_bound_holds_for_every_allowed_setting():
    """A transfer stops within the interval, one check and one poll: the settings keep
    that under the 30 s the portal promises."""
    assert settings.DOWNLOAD_STOP_BOUND_SECONDS == 30
    longest_interval = 25  # DOWNLOAD_RECHECK_SECONDS' maximum
    assert longest_interval >= settings.DOWNLOAD_RECHECK_SECONDS
    assert longest_interval + serve.POLL_SECONDS + 2 <= settings.DOWNLOAD_STOP_BOUND_SECONDS


def test_the_interval_setting_refuses_values_past_the_bound(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal.env import env_int

    monkeypatch.setenv("DOWNLOAD_RECHECK_SECONDS", "26")
    with pytest.raises(ImproperlyConfigured, match="at most 25"):
        env_int("DOWNLOAD_RECHECK_SECONDS", 10, minimum=0, maximum=25)


def _drain(sock, into: bytearray, pause: float = 0.0):
    while chunk := sock.recv(65536):
        into.extend(chunk)
        if pause:
            time.sleep(pause)
    sock.close()


def test_a_file_shorter_than_promised_ends_the_send(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(DATA[:1000])
    server, client = socket.socketpair()
    body = GuardedFile(path.open("rb"), start=0, length=2000)
    body.send_to(server)
    server.close()
    assert body.sent == 1000 and not body.complete
    assert client.recv(4096) == DATA[:1000][:4096]
    os.close(client.detach())


def test_only_a_file_on_disk_is_sent_with_sendfile(tmp_path):
    path = tmp_path / "on-disk.bin"
    path.write_bytes(b"x")
    assert GuardedFile(path.open("rb"), start=0, length=1).sendable
    assert not guarded().sendable  # in memory, as an S3 stream: read() instead
