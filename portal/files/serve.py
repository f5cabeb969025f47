"""The responses of a download: HEAD, Range, ETag, If-Range and safe file names.

Views never call this module: they answer through ``portal.files.downloads``,
which records every request. The app decides who may read a byte; this module
sends them, one of three ways chosen by ``DOWNLOAD_BACKEND``:

- ``sendfile`` (default): a file response (``GuardedFile``) that gunicorn,
  with ``deploy/gunicorn.conf.py``, hands to the kernel with ``sendfile(2)``
  in segments, so the bytes never pass through Python; a range is an offset
  and a length. Between segments it re-checks that access is still open
  (``DOWNLOAD_RECHECK_SECONDS``) and counts what it sent.
- ``x-accel``: an empty response with ``X-Accel-Redirect`` to an internal nginx
  location (``DOWNLOAD_ACCEL_PREFIX``); nginx sends the bytes and handles Range.
  nginx cannot be stopped mid-response, so a transfer that access may close
  (``still_open``) goes to nginx only when it ends within
  ``DOWNLOAD_ACCEL_SECONDS`` at the speed the client last proved
  (``portal.files.pace``); otherwise the app sends it as ``sendfile`` does,
  re-checking, and measures the speed.
- ``redirect``: a short-lived signed URL from the storage (S3-compatible
  storage's presigned URL), for stores that serve bytes themselves.

Range handling follows RFC 9110: one ``bytes=`` range is honoured (206 with
Content-Range); a malformed header, or several ranges, gets the whole file
(200); a range starting past the end gets 416. ``If-Range`` with another
validator than the current ETag gets the whole file. Parsing never fails:
numbers of any length are compared by their digits (a 4,400-digit position is
past the end of every file, not an error), so every request gets one of those
answers and its download record. Generated text (SHA256SUMS, a CSV
export) is sent from memory under the same rules and headers.

Every answer is an attachment, never sniffed and never cached:
``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff``,
``Cache-Control: private, no-store``.
"""

import hashlib
import io
import os
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

from portal.files import pace

# ASCII digits only (``\d`` would take any script's digits); the unit is case-insensitive.
RANGE_PATTERN = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.IGNORECASE)
# More significant digits than this is past the end of any file (10**18 bytes is an exabyte).
MAX_POSITION_DIGITS = 18
BEYOND_ANY_FILE = 10**MAX_POSITION_DIGITS
# sendfile(2) is asked for at most this much at once: a fast client takes it
# in milliseconds, and the clock is looked at between calls.
SEGMENT_BYTES = 16 * 1024 * 1024
# struct timeval, for the socket's send timeout (SO_SNDTIMEO).
TIMEVAL = struct.Struct("@ll")
# The longest a transfer waits for a slow client to take bytes before it looks
# at the clock again.
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    pass


def byte_position(digits: str) -> int:
    """A position written in ASCII digits, capped at BEYOND_ANY_FILE.

    ``int()`` refuses more than 4,300 digits (and takes time before that); a
    position with more significant digits than any file has bytes is simply
    past every end.
    """
    significant = digits.lstrip("0")
    if len(significant) > MAX_POSITION_DIGITS:
        return BEYOND_ANY_FILE
    return int(significant or "0")


def _digits_less(a: str, b: str) -> bool:
    """Whether the number written ``a`` is below the one written ``b``, at any length."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to send, None for the whole file; raises Unsatisfiable.

    Never raises anything else, whatever the header.
    """
    if not header:
        return None
    header = header.strip()
    if "," in header:
        return None  # several ranges: send the whole file, as RFC 9110 allows
    match = RANGE_PATTERN.match(header.replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None  # malformed: ignore it
    first, last = match.groups()
    if first == "":
        suffix = byte_position(last)
        if suffix == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1) if size else None
    if last and _digits_less(last, first):
        return None  # invalid range: ignore it
    start = byte_position(first)
    end = byte_position(last) if last else size - 1
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


class GuardedFile:
    """The bytes of one response (the whole file or a range), counted and guarded.

    A file response sends the bytes of ``file`` from ``start`` for ``length``
    bytes, one way or the other:

    - under gunicorn with ``deploy/gunicorn.conf.py``, ``send_to(sock)`` hands
      them to the kernel with ``sendfile(2)`` in segments, with a send timeout,
      so the worker looks at the clock at least once a ``POLL_SECONDS``
      however slowly the client reads;
    - under any other WSGI server (runserver, the test client), the server
      iterates ``read()``.

    Either way, every ``recheck_seconds`` it asks ``still_open()`` (one
    query: is the grant still live?) and stops when the answer is no — the
    transfer ends within the interval plus one check and one poll, mid-response
    included (``docs/transfers.md``). ``sent`` counts the bytes the server
    actually handed to the network; ``close()`` reports them once, through
    ``on_close(self)``, whether the transfer completed, the client went away,
    or access closed.

    It has no ``fileno`` on purpose: a server that would sendfile the whole
    window at once, deaf to a revoke, iterates ``read()`` instead.
    """

    def __init__(
        self,
        file,
        *,
        start: int,
        length: int,
        still_open: Callable[[], bool] | None = None,
        recheck_seconds: float = 0,
        on_close: Callable[["GuardedFile"], None] | None = None,
    ):
        self._file = file
        self._file.seek(start)
        self.start = start
        self.length = length
        self.name = getattr(file, "name", "")
        self.sent = 0
        self.stopped = False  # access closed mid-transfer
        self._pending = 0  # read() handed out, not yet known to be sent
        self._still_open = still_open if recheck_seconds else None
        self._recheck_seconds = recheck_seconds
        self._next_check = time.monotonic() + recheck_seconds
        self._on_close = on_close
        self._closed = False
        self.started = time.monotonic()
        self.seconds = 0.0  # from the response's start to its close

    @property
    def complete(self) -> bool:
        return self.sent == self.length

    @property
    def sendable(self) -> bool:
        """Whether the file is on a local disk, for sendfile(2) (not an S3 stream)."""
        try:
            self._file.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False
        return True

    def access_closed(self) -> bool:
        """Whether access closed since the transfer started; asks at most once an interval."""
        if self.stopped:
            return True
        if self._still_open is None or time.monotonic() < self._next_check:
            return False
        if self._still_open():
            self._next_check = time.monotonic() + self._recheck_seconds
            return False
        self.stopped = True
        return True

    def read(self, size: int = -1) -> bytes:
        # The server asks for more only after it sent what it had: that is sent.
        self.sent += self._pending
        self._pending = 0
        remaining = self.length - self.sent
        if remaining <= 0:
            return b""
        if self.access_closed():
            raise TransferStopped("Access closed during the transfer.")
        if size is None or size < 0 or size > remaining:
            size = remaining
        data = self._file.read(size)
        self._pending = len(data)
        return data

    def send_to(self, sock) -> None:
        """Send the window on ``sock`` with sendfile(2), checking access between segments.

        The socket stays blocking, as gunicorn sends a file, but with a send
        timeout of ``POLL_SECONDS``: a call returns when its segment is sent
        or when the client has taken nothing for that long, so a slow client
        never keeps the transfer from looking at the clock. Returns early when
        access closed (``stopped``); a client that went away raises the
        socket's error. The socket's send timeout is put back.
        """
        if self._still_open is None:
            self._send_unguarded(sock)
            return
        previous = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, TIMEVAL.size)
        whole, fraction = divmod(POLL_SECONDS, 1)
        poll = TIMEVAL.pack(int(whole), int(fraction * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, poll)
        try:
            while self.sent < self.length and not self.access_closed():
                count = min(SEGMENT_BYTES, self.length - self.sent)
                try:
                    sent = os.sendfile(
                        sock.fileno(), self._file.fileno(), self.start + self.sent, count
                    )
                except BlockingIOError:
                    continue  # nothing taken for POLL_SECONDS: look at the clock
                if sent == 0:
                    break  # the file is shorter than it was
                self.sent += sent
        finally:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, previous)

    def _send_unguarded(self, sock) -> None:
        """Nothing to re-check: blocking sendfile(2), as gunicorn itself sends a file,
        still counting (the bench's baseline, and files no grant lets out)."""
        while self.sent < self.length:
            count = min(SEGMENT_BYTES, self.length - self.sent)
            sent = os.sendfile(sock.fileno(), self._file.fileno(), self.start + self.sent, count)
            if sent == 0:
                break
            self.sent += sent

    def close(self):
        if self._closed:
            return
        self._closed = True
        self.seconds = time.monotonic() - self.started
        self._file.close()
        if self._on_close is not None:
            self._on_close(self)


class TransferStopped(ConnectionAbortedError):
    """Access closed while a response was being sent: the server cuts the connection.

    A connection error, so WSGI servers that iterate (wsgiref, runserver) end
    the response quietly, as when a client goes away.
    """


def etag_for(sha256: str) -> str:
    return f'"{sha256}"'


def download_headers(*, filename: str, etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition_header(as_attachment=True, filename=filename),
    }


def requested_range(request, *, etag: str, size: int) -> ByteRange | None:
    """The range to send: None for the whole file (also when If-Range names another version)."""
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        return None
    return parse_range(request.headers.get("Range"), size)


def unsatisfiable(headers: dict[str, str], size: int) -> HttpResponse:
    response = HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    del response["Content-Disposition"]
    return response


def file_response(
    request,
    fieldfile,
    *,
    filename: str,
    size: int,
    sha256: str,
    still_open: Callable[[], bool] | None = None,
    on_close: Callable[[GuardedFile], None] | None = None,
    pace_key: str | None = None,
) -> HttpResponse | FileResponse:
    """Answer a GET or HEAD for a stored file, after the caller has authorized it.

    ``still_open`` is asked every ``DOWNLOAD_RECHECK_SECONDS`` while the app
    sends the bytes; ``on_close`` hears how many it sent. With x-accel, a
    transfer with ``still_open`` goes to nginx only when it fits the budget at
    the speed remembered under ``pace_key`` (``portal.files.pace``).
    """
    etag = etag_for(sha256)
    headers = download_headers(filename=filename, etag=etag)
    try:
        byte_range = requested_range(request, etag=etag, size=size)
    except Unsatisfiable:
        return unsatisfiable(headers, size)

    backend = settings.DOWNLOAD_BACKEND
    if backend == "redirect":
        # The store serves the bytes (and Range) from a URL that expires within
        # a minute; the file keeps its name where the store can set it.
        storage = fieldfile.storage
        if hasattr(storage, "download_url"):
            url = storage.download_url(
                fieldfile.name, filename_header=headers["Content-Disposition"]
            )
        else:
            url = storage.url(fieldfile.name)
        redirect = HttpResponseRedirect(
            url,
            headers={
                "Cache-Control": headers["Cache-Control"],
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": headers["Content-Disposition"],
            },
        )
        return promising(redirect, byte_range, size)
    status = 206 if byte_range else 200
    length = byte_range.length if byte_range else size
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"

    if request.method == "HEAD":
        response = HttpResponse(
            status=status, headers=headers, content_type="application/octet-stream"
        )
        response["Content-Length"] = str(length)
        return response

    if backend == "x-accel" and (still_open is None or (pace_key and pace.fits(pace_key, length))):
        # nginx serves the file from its internal location and applies Range itself.
        location = settings.DOWNLOAD_ACCEL_PREFIX.rstrip("/") + "/" + quote(fieldfile.name)
        response = HttpResponse(
            status=200, headers=headers, content_type="application/octet-stream"
        )
        response["X-Accel-Redirect"] = location
        del response["Accept-Ranges"]
        return promising(response, byte_range, size)

    if backend == "x-accel" and pace_key:
        on_close = _measuring(pace_key, on_close)
    body = GuardedFile(
        fieldfile.storage.open(fieldfile.name, "rb"),
        start=byte_range.start if byte_range else 0,
        length=length,
        still_open=still_open,
        recheck_seconds=settings.DOWNLOAD_RECHECK_SECONDS,
        on_close=on_close,
    )
    streaming = FileResponse(body, status=status, content_type="application/octet-stream")
    for name, value in headers.items():
        streaming[name] = value
    streaming["Content-Length"] = str(length)
    return streaming


def _measuring(key: str, on_close: Callable[[GuardedFile], None] | None):
    """``on_close``, after remembering the client's speed (not a stopped transfer's)."""

    def closed(body: GuardedFile) -> None:
        if not body.stopped:
            pace.remember(key, body.sent, body.seconds)
        if on_close is not None:
            on_close(body)

    return closed


def promising(response, byte_range: ByteRange | None, size: int):
    """Note on an answer whose bytes nginx or the store sends what it promises, for
    the download record: an X-Accel answer carries no Content-Length of its own."""
    response.download_length = byte_range.length if byte_range else size
    response.download_whole = byte_range is None
    return response


def text_response(request, body: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """Answer a GET or HEAD for a small generated file, held in memory."""
    etag = etag_for(hashlib.sha256(body).hexdigest())
    headers = download_headers(filename=filename, etag=etag)
    try:
        byte_range = requested_range(request, etag=etag, size=len(body))
    except Unsatisfiable:
        return unsatisfiable(headers, len(body))
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{len(body)}"
        body = body[byte_range.start : byte_range.end + 1]
    response = HttpResponse(
        b"" if request.method == "HEAD" else body,
        status=206 if byte_range else 200,
        headers=headers,
        content_type=content_type,
    )
    response["Content-Length"] = str(len(body))
    return response
