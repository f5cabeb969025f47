"""Resumable uploads by the tus 1.0 protocol: the protocol, partial files and the sweep.

https://tus.io/protocols/resumable-upload — core, and the extensions creation,
creation-with-upload, termination, expiration and checksum (sha256). What an
upload becomes when it is finished is the concern of the app that owns the
concrete ``ResumableUpload`` model (``portal.cases.views.uploads`` for
artifacts); this module knows only bytes, offsets and hashes.

Each PATCH is streamed once: appended to the partial file under
``UPLOADS_PARTIAL_DIR`` (outside ``MEDIA_ROOT``, never served) and fed to the
running SHA-256, whose state is saved in the row with the new offset
(``portal.files.sha256state``), so no request ever reads back earlier bytes.
With S3 storage the partial file is only a buffer: its bytes go on to an S3
multipart upload part by part as they arrive (``portal.files.multipart``).
A PATCH holds an exclusive lock on the partial file (``locked``), taken
before it reads the upload's row, so the row it reads is the one it
continues; a second PATCH at the same time is answered 423 Locked, and the
offset is moved by a conditional ``UPDATE … WHERE offset = <old>``, so two
workers can never both append.

Status codes follow the specification: 412 for a missing or other
Tus-Resumable, 415 for a PATCH that is not ``application/offset+octet-stream``,
409 for an Upload-Offset that is not the upload's, 460 for a chunk whose
Upload-Checksum fails (nothing of it is kept), 413 past Upload-Length or
Tus-Max-Size, 404 for an unknown or terminated upload, 410 for an expired one.
"""

import base64
import binascii
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date

from portal.files import multipart
from portal.files.body import BlockPump, body_reader
from portal.files.models import ResumableUpload
from portal.files.sha256state import ResumableSha256, empty_state
from portal.files.uploads import AssembledFile, StreamedFile

logger = logging.getLogger(__name__)
STORAGE_ERRORS = (BotoCoreError, ClientError)
STORAGE_UNAVAILABLE = (
    "The file store did not take this chunk; nothing of it was kept. Send it again."
)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460
WRITEBACK_BYTES = 8 * 1024 * 1024
MAX_METADATA = 4000
# What ``new_upload_key`` makes (``secrets.token_urlsafe``): a key from a URL names a file only so.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TusError(Exception):
    """A request the protocol refuses: its status and a message for the person."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def tus_response(status: int = 204, message: str | None = None, **headers: str) -> HttpResponse:
    """Every tus answer carries Tus-Resumable; refusals a JSON ``{"error": …}`` body."""
    body = json.dumps({"error": message}) if message else ""
    response = HttpResponse(body, status=status, content_type="application/json")
    if status == CHECKSUM_MISMATCH:
        response.reason_phrase = "Checksum Mismatch"
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def options_response() -> HttpResponse:
    return tus_response(
        204,
        **{
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(settings.ARTIFACT_MAX_BYTES),
            "Tus-Checksum-Algorithm": "sha256",
        },
    )


def error_response(error: TusError) -> HttpResponse:
    response = tus_response(error.status, error.message)
    if error.status == 412:
        response["Tus-Version"] = TUS_VERSION
    return response


def check_version(request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusError(412, f"Send Tus-Resumable: {TUS_VERSION}; it is the version served here.")


def expires_header(upload: ResumableUpload) -> str:
    return http_date(upload.expires_at.timestamp())


def next_expiry() -> datetime:
    return timezone.now() + timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS)


def parse_metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: ``key base64(value)`` pairs, comma-separated; keys unknown are kept."""
    header = (header or "").strip()
    if len(header) > MAX_METADATA:
        raise TusError(400, f"Upload-Metadata is longer than {MAX_METADATA} characters.")
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = pair.partition(" ")
        if not key or " " in encoded.strip() or key in metadata:
            raise TusError(400, f"Upload-Metadata has a malformed or repeated pair: {key!r}.")
        try:
            metadata[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(400, f"Upload-Metadata {key!r} is not Base64 of UTF-8 text.") from None
    return metadata


def parse_length(request) -> int:
    if request.headers.get("Upload-Defer-Length"):
        raise TusError(400, "Deferred lengths are not supported; send Upload-Length.")
    value = request.headers.get("Upload-Length", "")
    if not (value.isascii() and value.isdigit()):
        raise TusError(400, "Send the whole file's size as Upload-Length (bytes).")
    length = int(value)
    if length == 0:
        raise TusError(400, "The file is empty.")
    if length > settings.ARTIFACT_MAX_BYTES:
        raise TusError(413, f"Upload-Length is over the maximum of {settings.ARTIFACT_MAX_BYTES}.")
    return length


def parse_checksum(request) -> bytes | None:
    value = request.headers.get("Upload-Checksum")
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise TusError(400, "Upload-Checksum must use sha256, the algorithm supported here.")
    try:
        expected = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        expected = b""
    if len(expected) != 32:
        raise TusError(400, "Upload-Checksum must be 'sha256 <Base64 of the 32-byte digest>'.")
    return expected


def partial_dir() -> Path:
    path = Path(settings.UPLOADS_PARTIAL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def partial_path(upload: ResumableUpload) -> Path:
    return partial_dir() / upload.key


def start(upload: ResumableUpload, *, storage_name: str) -> None:
    """Fill a new upload's state and create its empty partial file; the caller saves it.

    ``storage_name`` is the name the finished file will have in storage; on
    S3 the multipart upload that becomes it starts now.
    """
    upload.offset = 0
    upload.hash_state = empty_state()
    upload.expires_at = next_expiry()
    if multipart.uses_multipart():
        upload.storage_name = storage_name
        try:
            upload.multipart_id = multipart.create(storage_name)
        except STORAGE_ERRORS:
            raise TusError(503, "The file store is not answering; try again later.") from None
    partial_path(upload).touch(exist_ok=False)


def remove(upload: ResumableUpload) -> bool:
    """Terminate: the partial file, any multipart upload and the row go; later requests get 404.

    Returns whether a multipart upload was aborted.
    """
    aborted = False
    if upload.multipart_id:
        try:
            aborted = multipart.abort(upload.storage_name, upload.multipart_id)
        except STORAGE_ERRORS:
            # With the row gone, the sweep finds it among the uploads no row names.
            logger.warning("Could not abort multipart upload %s now", upload.multipart_id)
        upload.multipart_id = ""
    with contextlib.suppress(FileNotFoundError):
        partial_path(upload).unlink()
    if upload.pk is not None:
        type(upload).objects.filter(pk=upload.pk).delete()
    return aborted


class _ChunkSink:
    """Writes and hashes a PATCH's bytes on a thread of its own while the request reads the next.

    As for a PUT (``portal.files.body``): the request's thread reads the body
    into reusable 1 MiB blocks, and this sink's ``consume`` appends each to the
    partial file (unbuffered, one ``write`` per block), then feeds the running
    SHA-256 and the chunk's checksum. OpenSSL's SHA-256, ``recv_into`` and file
    writes release the GIL, so receiving and hashing overlap on two cores, and
    at most 4 MiB wait, so memory stays bounded.

    The PATCH ends with an ``fsync`` (the offset saved must never count bytes
    a power cut could lose). On local disk, every ``WRITEBACK_BYTES`` the
    sink asks the kernel to start writing what it has so far
    (``POSIX_FADV_DONTNEED`` starts writeback of dirty pages without waiting),
    so the disk works while the next bytes arrive and the final ``fsync``
    waits only for the last few MiB: 12 ms instead of 42 ms for 64 MiB here.
    """

    def __init__(self, handle, hasher: ResumableSha256, chunk_digest, after_write=None) -> None:
        self.handle, self.hasher, self.chunk_digest = handle, hasher, chunk_digest
        self.after_write = after_write
        self.handle.flush()
        self.fd = handle.fileno()
        self.position = handle.tell()
        self.kicked = self.position
        self.pump = BlockPump(self._consume)

    def _consume(self, view: memoryview) -> None:
        done = 0
        while done < len(view):
            done += os.pwrite(self.fd, view[done:], self.position + done)
        self.position += done
        if self.after_write is not None:
            self.handle.seek(self.position)
            self.after_write(self.handle)
        elif self.position - self.kicked >= WRITEBACK_BYTES:
            self._start_writeback()
        self.hasher.update(view)
        if self.chunk_digest is not None:
            self.chunk_digest.update(view)

    def _start_writeback(self) -> None:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(
                self.fd, self.kicked, self.position - self.kicked, os.POSIX_FADV_DONTNEED
            )
        self.kicked = self.position

    def read_body(self, body, length: int) -> int:
        """Read up to ``length`` bytes of the body; keep what arrived if the client goes away."""
        received, _cut = self.pump.pump(body, length)
        return received

    def close(self) -> BaseException | None:
        error = self.pump.close()
        self.handle.seek(self.position)  # the buffered handle's idea of where it is
        return error


@contextlib.contextmanager
def locked(key: str) -> Iterator[BinaryIO | None]:
    """The partial file of upload ``key``, open and exclusively locked; None if there is none.

    A PATCH takes it before it reads the upload's row, so that row is the one
    it continues: no other request moves the offset meanwhile (a second PATCH
    is answered 423), and the row is read once. Only a key of the form
    ``new_upload_key`` makes names a file.
    """
    handle = None
    if KEY_PATTERN.fullmatch(key):
        path = partial_dir() / key
        with contextlib.suppress(FileNotFoundError):
            handle = open(path, "r+b")  # noqa: SIM115 - held, and closed, below
    if handle is None:
        yield None
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in {errno.EAGAIN, errno.EACCES}:
                raise TusError(423, "Another request is writing to this upload.") from None
            raise
        if os.fstat(handle.fileno()).st_ino != _inode(path):
            # The previous PATCH replaced the file (on S3, by its tail) after we opened it.
            raise TusError(423, "Another request was writing to this upload; send it again.")
        yield handle


def append[U: ResumableUpload, R](
    upload: U, request, *, handle: BinaryIO | None, on_finished: Callable[[U], R]
) -> R | None:
    """Apply one PATCH (or a creation request's body): stream, hash, move the offset.

    ``handle`` is the upload's partial file from ``locked``, taken before
    ``upload`` was read (None: the file is gone, and so is the upload). When
    the last byte is in, ``on_finished(upload)`` runs, still holding the
    partial file's lock, and its result is returned. Raises ``TusError`` with
    the protocol's status; a refused chunk leaves the partial file and the row
    as they were.
    """
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != OFFSET_CONTENT_TYPE:
        raise TusError(415, f"Send the bytes as Content-Type: {OFFSET_CONTENT_TYPE}.")
    offset_header = request.headers.get("Upload-Offset", "0" if request.method == "POST" else "")
    if not (offset_header.isascii() and offset_header.isdigit()):
        raise TusError(400, "Send Upload-Offset, the byte the chunk starts at.")
    if int(offset_header) != upload.offset:
        raise TusError(409, f"Upload-Offset is {offset_header}; the upload is at {upload.offset}.")
    expected_checksum = parse_checksum(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise TusError(411, "Send the chunk's length (Content-Length).") from None
    if length < 0:
        raise TusError(400, "Content-Length must not be negative.")
    if upload.offset + length > upload.length:
        raise TusError(
            413,
            f"The chunk ends at byte {upload.offset + length}, past the "
            f"Upload-Length of {upload.length}.",
        )
    if handle is None:
        remove(upload)
        raise TusError(404, "This upload's bytes are gone; start it again.")
    path = partial_path(upload)
    start_offset = upload.offset
    parts = _part_writer(upload, handle)
    # Where this chunk starts in the partial file: at its offset, or on S3 after the tail.
    file_start = (
        start_offset
        if parts is None
        else parts.sent_through + (start_offset - multipart.sent_bytes(parts.parts))
    )
    hasher = ResumableSha256.from_bytes(bytes(upload.hash_state))
    chunk_digest = hashlib.sha256() if expected_checksum is not None else None
    handle.seek(file_start)
    handle.truncate()  # bytes of a request that died before it was counted
    sink = _ChunkSink(handle, hasher, chunk_digest, parts and parts.after_write)
    try:
        received = sink.read_body(body_reader(request, length), length)
    finally:
        failed = sink.close()
    if failed is not None:  # a full disk, or S3 refusing a part: nothing of this chunk counts
        handle.truncate(file_start)
        if not isinstance(failed, (OSError, *STORAGE_ERRORS)):
            raise failed
        if isinstance(failed, STORAGE_ERRORS):
            raise TusError(503, STORAGE_UNAVAILABLE)
        raise TusError(507, "The server has no room for this upload now.")
    if chunk_digest is not None and (
        received != length or chunk_digest.digest() != expected_checksum
    ):
        handle.truncate(file_start)
        if received != length:
            raise TusError(400, "The chunk was interrupted; nothing of it was kept.")
        raise TusError(CHECKSUM_MISMATCH, "The chunk's SHA-256 does not match Upload-Checksum.")
    changes: dict[str, object] = {}
    if parts is not None:
        try:
            parts.finish(handle, last=start_offset + received == upload.length)
        except STORAGE_ERRORS:
            handle.truncate(file_start)
            raise TusError(503, STORAGE_UNAVAILABLE) from None
        changes = {"parts": parts.parts, "tail_start": parts.sent_through}
    handle.flush()
    os.fsync(handle.fileno())
    saved: dict[str, object] = {
        "offset": start_offset + received,
        "hash_state": hasher.to_bytes(),
        "expires_at": next_expiry(),
        **changes,
    }
    moved = type(upload).objects.filter(pk=upload.pk, offset=start_offset).update(**saved)
    if moved != 1:  # pragma: no cover - the lock makes this unreachable
        handle.truncate(file_start)
        raise TusError(409, "The upload moved on meanwhile; ask where it is (HEAD).")
    if parts is not None and parts.sent_through and start_offset + received < upload.length:
        # Keep only the bytes not yet sent (less than a part); the file never grows.
        multipart.compact(path, parts.sent_through)
        type(upload).objects.filter(pk=upload.pk).update(tail_start=0)
        saved["tail_start"] = 0
    for field, value in saved.items():  # what the row now holds, without reading it back
        setattr(upload, field, value)
    if upload.offset == upload.length:
        return on_finished(upload)
    return None


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _part_writer(upload: ResumableUpload, handle) -> multipart.PartWriter | None:
    """On S3, what sends this PATCH's bytes on as parts; None on local disk."""
    if not upload.multipart_id:
        return None
    parts = [list(part) for part in upload.parts]
    tail = upload.offset - multipart.sent_bytes(parts)
    size = os.fstat(handle.fileno()).st_size
    tail_start = multipart.tail_offset(size, upload.tail_start, tail)
    if tail_start != upload.tail_start:
        # A compaction whose row update was lost: record it before this PATCH appends.
        type(upload).objects.filter(pk=upload.pk).update(tail_start=tail_start)
    return multipart.PartWriter(
        upload.storage_name,
        upload.multipart_id,
        upload.length,
        parts=parts,
        sent_through=tail_start,
    )


def finished_sha256(upload: ResumableUpload) -> str:
    return ResumableSha256.from_bytes(bytes(upload.hash_state)).hexdigest()


def finished_file(upload: ResumableUpload) -> StreamedFile:
    """The whole file, ready for the store helper: the partial file, or on S3 the joined parts.

    On S3 the multipart upload is completed into the object ``storage_name``;
    the store helper adopts it, or its ``discard`` deletes it.
    """
    sha256 = finished_sha256(upload)
    if not upload.multipart_id:
        return StreamedFile(str(partial_path(upload)), upload.length, sha256)
    writer = multipart.PartWriter(
        upload.storage_name, upload.multipart_id, upload.length, parts=upload.parts
    )
    try:
        writer.complete()
    except STORAGE_ERRORS:
        remove(upload)
        raise TusError(
            502, "The file store could not put the parts together. Nothing was kept; upload again."
        ) from None
    upload.multipart_id = ""  # completed: there is nothing left to abort
    return AssembledFile(default_storage, upload.storage_name, upload.length, sha256)


def upload_models() -> list[type[ResumableUpload]]:
    return [model for model in apps.get_models() if issubclass(model, ResumableUpload)]


@dataclass
class Swept:
    """What the expiry sweep removed: uploads and stray partial files; S3 multipart uploads."""

    removed: int = 0
    aborted: int = 0

    def __str__(self) -> str:
        return f"uploads removed: {self.removed}\nmultipart uploads aborted: {self.aborted}"


def expire_uploads(now: datetime | None = None) -> Swept:
    """Remove every upload past its expiry, with its partial file and multipart upload.

    Also removes partial files and multipart uploads that no upload names (a
    crash between creating them and saving the row), once they are older than
    the expiry. Safe to run twice or at once: a row is deleted by whoever
    deletes it, and a missing file or multipart upload is not an error.
    """
    now = now or timezone.now()
    swept = Swept()
    known: set[str] = set()
    known_multipart: set[str] = set()
    for model in upload_models():
        expired = model.objects.filter(expires_at__lte=now)
        for upload in expired.only("pk", "key", "storage_name", "multipart_id"):
            if model.objects.filter(pk=upload.pk).delete()[0]:
                swept.removed += 1
                swept.aborted += remove(upload)
        known.update(model.objects.values_list("key", flat=True))
        known_multipart.update(
            model.objects.exclude(multipart_id="").values_list("multipart_id", flat=True)
        )
    cutoff = now - timedelta(hours=settings.TUS_UPLOAD_EXPIRY_HOURS)
    for path in partial_dir().iterdir():
        if path.name not in known and path.stat().st_mtime < cutoff.timestamp():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                swept.removed += 1
    if multipart.uses_multipart():
        prefixes = {model.storage_prefix for model in upload_models() if model.storage_prefix}
        for prefix in sorted(prefixes):
            swept.aborted += sum(
                1 for _ in multipart.stale_uploads(prefix + "/", cutoff, known_multipart)
            )
    return swept
