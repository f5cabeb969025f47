"""The responses of a download: HEAD, Range, ETag, If-Range and safe file names.

Views never call this module: they answer through ``portal.files.downloads``,
which records every request. The app decides who may read a byte; this module
sends them, one of three ways chosen by ``DOWNLOAD_BACKEND``:

- ``sendfile`` (default): a file response the WSGI server can hand to the
  kernel (gunicorn's ``wsgi.file_wrapper`` uses ``sendfile(2)``), so the bytes
  never pass through Python; a range is a seek and a length.
- ``x-accel``: an empty response with ``X-Accel-Redirect`` to an internal nginx
  location (``DOWNLOAD_ACCEL_PREFIX``); nginx sends the bytes and handles Range.
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
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

# ASCII digits only (``\d`` would take any script's digits); the unit is case-insensitive.
RANGE_PATTERN = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.IGNORECASE)
# More significant digits than this is past the end of any file (10**18 bytes is an exabyte).
MAX_POSITION_DIGITS = 18
BEYOND_ANY_FILE = 10**MAX_POSITION_DIGITS


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


class RangeFile:
    """A window on an open file: reads stop at the end of the range.

    It exposes ``fileno`` so a WSGI server's sendfile sends the window from the
    file's current position for Content-Length bytes, and no ``tell`` so
    Django does not recompute the length from the file's size.
    """

    def __init__(self, file, start: int, length: int):
        self._file = file
        self._file.seek(start)
        self._remaining = length
        self.name = getattr(file, "name", "")

    def fileno(self):
        return self._file.fileno()

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size)
        self._remaining -= len(data)
        return data

    def close(self):
        self._file.close()


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
    request, fieldfile, *, filename: str, size: int, sha256: str
) -> HttpResponse | FileResponse:
    """Answer a GET or HEAD for a stored file, after the caller has authorized it."""
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
        return HttpResponseRedirect(
            url,
            headers={
                "Cache-Control": headers["Cache-Control"],
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": headers["Content-Disposition"],
            },
        )
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

    if backend == "x-accel":
        # nginx serves the file from its internal location and applies Range itself.
        location = settings.DOWNLOAD_ACCEL_PREFIX.rstrip("/") + "/" + quote(fieldfile.name)
        response = HttpResponse(
            status=200, headers=headers, content_type="application/octet-stream"
        )
        response["X-Accel-Redirect"] = location
        del response["Accept-Ranges"]
        return response

    handle = fieldfile.storage.open(fieldfile.name, "rb")
    body = RangeFile(handle, byte_range.start, length) if byte_range else handle
    streaming = FileResponse(body, status=status, content_type="application/octet-stream")
    for name, value in headers.items():
        streaming[name] = value
    streaming["Content-Length"] = str(length)
    return streaming


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
