"""Streaming uploads: size and SHA-256 computed while the bytes arrive.

Bytes are written once, to a temporary file beside the storage folder, and
hashed on the way; the finished file is then moved (renamed) into storage, so
it is never read twice nor held in memory. Any failure removes the temporary
file: a rejected upload leaves neither a partial file nor a row.
"""

import contextlib
import errno
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat

from portal.files.body import BlockPump, body_reader

MAX_NAME_LENGTH = 255
SHA256_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")


NO_ROOM = (errno.ENOSPC, errno.EDQUOT)
NO_ROOM_MESSAGE = (
    "The server has no room to store this file right now. Nothing was stored; "
    "try again later, and tell the portal's administrators if it happens again."
)


def no_room(error: BaseException) -> bool:
    """A full disk (or quota): the person can do nothing about it but wait."""
    return isinstance(error, OSError) and error.errno in NO_ROOM


def crash_point(name: str) -> None:
    """Die here, as a killed worker would, when the tests ask (settings.UPLOAD_CRASH_POINT)."""
    if name == settings.UPLOAD_CRASH_POINT:
        os._exit(70)


class UploadRejected(Exception):
    """The upload is refused; the message says why, for the person."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def incoming_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / ".incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_display_name(name: str) -> str:
    """Check an uploaded file's name, which is kept only as display text."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise UploadRejected("The file needs a name.")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise UploadRejected("The file name must not contain folders (/ or \\).")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise UploadRejected("The file name must not contain control characters.")
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRejected(f"The file name is longer than {MAX_NAME_LENGTH} characters.")
    return name


class StreamedFile(File):
    """A finished upload in a temporary file, with its size and SHA-256."""

    def __init__(self, path: str, size: int, sha256: str):
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115
        self._path = path
        self.size = size
        self.sha256 = sha256

    def temporary_file_path(self) -> str:
        # FileSystemStorage moves a file that has a temporary path instead of copying it.
        return self._path

    def discard(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)


class AssembledFile(StreamedFile):
    """A finished upload already in storage under its final name (a completed S3 multipart upload).

    The store helper adopts it as the row's file instead of moving bytes; if
    nobody adopts it (the same file was already stored, or a check refused
    it), ``discard`` deletes it, so nothing is left behind.
    """

    def __init__(self, storage, name: str, size: int, sha256: str):
        File.__init__(self, None, name=name)
        self.storage, self.stored_name = storage, name
        self.size = size
        self.sha256 = sha256
        self.adopted = False

    def temporary_file_path(self) -> str:
        raise NotImplementedError("An assembled file has no local path; it is in storage.")

    def discard(self) -> None:
        if not self.adopted:
            self.adopted = True  # once
            self.storage.delete(self.stored_name)


class HashingWriter:
    """Writes an upload to a temporary file, counting and hashing it.

    Hashing and writing run on a thread of their own (``portal.files.body.BlockPump``)
    while the caller reads the next bytes from the network: ``hashlib`` and
    file writes release the GIL, so on two cores receiving and hashing overlap
    instead of taking turns. ``write_body`` reads a request body into reusable
    1 MiB blocks; ``write`` hands over a piece the caller read (a multipart
    form's chunk). Either way at most a few MiB wait, so memory stays bounded.
    The file is written unbuffered, each block in one ``write``. An error on
    that thread (a full disk) is raised by the next ``write`` or by ``finish``.
    """

    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = max_bytes if max_bytes is not None else settings.ARTIFACT_MAX_BYTES
        handle, self.path = tempfile.mkstemp(dir=incoming_dir(), prefix="upload-")
        self._file = os.fdopen(handle, "wb", buffering=0)
        self._digest = hashlib.sha256()
        self.size = 0
        self._pump = BlockPump(self._consume)

    def _consume(self, view: memoryview) -> None:
        self._digest.update(view)
        while view:
            written = self._file.write(view)
            view = view[written:]

    def _stop(self) -> None:
        self._pump.close()

    def _raise_worker_error(self) -> None:
        if self._pump.error is not None:
            error = self._pump.error
            self.discard()
            if no_room(error):
                raise UploadRejected(NO_ROOM_MESSAGE, status=507) from error
            raise error

    def _check_size(self, size: int) -> None:
        if size > self.max_bytes:
            self.discard()
            raise UploadRejected(
                f"The file is larger than the maximum of {filesizeformat(self.max_bytes)}.",
                status=413,
            )

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._check_size(self.size)
        self._raise_worker_error()
        self._pump.put(chunk)

    def write_body(self, body, length: int) -> None:
        """Read ``length`` bytes from ``body`` (``portal.files.body.body_reader``) and write them.

        Fewer arrive when the client goes away; ``size`` says how many.
        """
        self._check_size(self.size + length)
        received, _cut = self._pump.pump(body, length)
        self.size += received
        self._raise_worker_error()

    def finish(self, expected_sha256: str | None = None) -> StreamedFile:
        self._stop()
        self._raise_worker_error()
        try:
            self._file.close()
        except OSError as error:
            self.discard()
            if no_room(error):
                raise UploadRejected(NO_ROOM_MESSAGE, status=507) from error
            raise
        if self.size == 0:
            self.discard()
            raise UploadRejected("The file is empty.")
        sha256 = self._digest.hexdigest()
        if expected_sha256 and expected_sha256.lower() != sha256:
            self.discard()
            raise UploadRejected(
                f"The SHA-256 of the bytes received ({sha256}) does not match the one sent "
                f"({expected_sha256.lower()}). Nothing was stored; send the file again."
            )
        return StreamedFile(self.path, self.size, sha256)

    def discard(self) -> None:
        self._stop()
        if not self._file.closed:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def check_sha256_header(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not SHA256_PATTERN.match(value.strip()):
        raise UploadRejected("X-Content-SHA256 must be 64 hexadecimal characters.")
    return value.strip().lower()


def read_request_body(request, *, expected_sha256: str | None = None) -> StreamedFile:
    """Stream a PUT body (of a declared length) into a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise UploadRejected("Send the file's length (Content-Length).", status=411) from None
    if length < 0:
        raise UploadRejected("Content-Length must not be negative.")
    if length > settings.ARTIFACT_MAX_BYTES:
        limit = filesizeformat(settings.ARTIFACT_MAX_BYTES)
        raise UploadRejected(f"The file is larger than the maximum of {limit}.", status=413)
    writer = HashingWriter()
    try:
        writer.write_body(body_reader(request, length), length)
        if writer.size != length:
            raise UploadRejected(
                f"The upload was interrupted: {writer.size} of {length} bytes arrived. "
                "Nothing was stored; send the file again."
            )
        return writer.finish(expected_sha256)
    except BaseException:
        writer.discard()
        raise


class HashingUploadHandler(FileUploadHandler):
    """For browser (multipart) uploads: the same streaming, hashing writer.

    A file over the size limit is skipped and remembered in ``rejection``, so
    the view can say why the file is missing.
    """

    def __init__(self, request=None, *, max_bytes: int | None = None):
        super().__init__(request)
        self.max_bytes = max_bytes  # None: the artifact limit (ARTIFACT_MAX_BYTES)
        self.writer = None
        self.rejection: UploadRejected | None = None
        self.files: list[StreamedFile] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.writer = HashingWriter(self.max_bytes)

    def receive_data_chunk(self, raw_data, start):
        try:
            self.writer.write(raw_data)
        except UploadRejected as rejection:
            self.rejection = rejection
            self.writer = None
            raise SkipFile() from rejection
        return None

    def file_complete(self, file_size):
        if self.writer is None:
            return None
        try:
            streamed = self.writer.finish()
        except UploadRejected as rejection:
            self.rejection = rejection
            return None
        finally:
            self.writer = None
        streamed.original_name = self.file_name
        streamed.content_type = self.content_type
        self.files.append(streamed)
        return streamed

    def upload_interrupted(self):
        if self.writer is not None:
            self.writer.discard()
            self.writer = None

    def discard_all(self) -> None:
        """Remove every temporary file this request produced and nobody kept."""
        self.upload_interrupted()
        for streamed in self.files:
            streamed.discard()
