"""Resumable uploads on S3: each PATCH's bytes go to an S3 multipart upload as they arrive.

With S3-compatible storage (``STORAGE_BACKEND=s3``) a tus upload
(``portal.files.resumable``) starts an S3 multipart upload under the final
object key when it is created. A PATCH's bytes are appended to the upload's
small partial file under ``UPLOADS_PARTIAL_DIR`` (its *tail*) and hashed
there as on local disk; whenever the tail holds ``part_bytes`` it is sent as
the next part, and at the end of the PATCH what is left is sent too if it
reaches ``floor_bytes`` (5 MiB, S3's smallest part, or more for files so
large that 10,000 parts would not hold them). What stays between PATCHes is
smaller than ``floor_bytes``: the partial file never holds the whole file,
only the current PATCH at most. The last PATCH sends the rest as the last
part and ``complete`` joins the parts into the final key. Termination and
expiry abort the multipart upload, so S3 keeps no parts.

The row keeps what is needed to carry on in another worker: the parts sent
(number, ETag, size) and ``tail_start``, where in the partial file the bytes
not yet sent begin. The invariant: the bytes ``offset - sum(part sizes)``
not yet in a part are ``partial[tail_start : tail_start + that]``. After the
row is saved the partial file is compacted (the tail copied to a new file,
which replaces it) and ``tail_start`` set back to 0; a crash between the two
leaves a file shorter than ``tail_start + tail``, which ``tail_offset``
recognises as already compacted. A part sent by a request that died before
the row was saved is simply sent again under the same number, which S3
replaces.
"""

import math
import os
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage

MIB = 1024 * 1024
S3_MIN_PART = 5 * MIB
S3_MAX_PARTS = 10_000
PART_BYTES = 16 * MIB


def uses_multipart(storage=None) -> bool:
    """Whether finished uploads go to S3, so PATCHes go to multipart uploads."""
    return isinstance(storage or default_storage, S3Storage)


def _client_and_bucket(storage: S3Storage):
    return storage.connection.meta.client, storage.bucket_name


def object_key(storage: S3Storage, name: str) -> str:
    """The S3 key django-storages uses for a storage name (it adds its ``location``)."""
    return storage._normalize_name(name)  # noqa: SLF001 - storages' one way from name to key


def floor_bytes(length: int) -> int:
    """The least a part may hold, except the last: 5 MiB, or enough for 10,000 parts."""
    return max(S3_MIN_PART, math.ceil(length / (S3_MAX_PARTS - 1) / MIB) * MIB)


def part_bytes(length: int) -> int:
    return max(PART_BYTES, floor_bytes(length))


def create(name: str, storage: S3Storage | None = None) -> str:
    """Start a multipart upload that will become the object ``name``; its UploadId."""
    storage = storage or default_storage
    client, bucket = _client_and_bucket(storage)
    started = client.create_multipart_upload(
        Bucket=bucket, Key=object_key(storage, name), ContentType="application/octet-stream"
    )
    return started["UploadId"]


def abort(name: str, upload_id: str, storage: S3Storage | None = None) -> bool:
    """Abort it: S3 drops its parts. False if S3 no longer knows it (done or aborted)."""
    storage = storage or default_storage
    client, bucket = _client_and_bucket(storage)
    try:
        client.abort_multipart_upload(
            Bucket=bucket, Key=object_key(storage, name), UploadId=upload_id
        )
    except client.exceptions.NoSuchUpload:
        return False
    return True


def stale_uploads(prefix: str, initiated_before, known: set[str], storage=None):
    """Multipart uploads under ``prefix`` started before the cutoff that no row names."""
    storage = storage or default_storage
    client, bucket = _client_and_bucket(storage)
    paginator = client.get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=bucket, Prefix=object_key(storage, prefix)):
        for upload in page.get("Uploads", []):
            if upload["UploadId"] not in known and upload["Initiated"] < initiated_before:
                client.abort_multipart_upload(
                    Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                yield upload["UploadId"]


@dataclass
class PartWriter:
    """Sends the tail of one upload's partial file to S3 in parts, during one PATCH.

    Runs on the PATCH's writing thread, after each write: ``sent_through`` is
    how far into the partial file the parts sent reach.
    """

    name: str
    upload_id: str
    length: int
    parts: list[list] = field(default_factory=list)  # [number, etag, size]
    sent_through: int = 0
    storage: S3Storage | None = None

    def __post_init__(self):
        self.storage = self.storage or default_storage
        self.client, self.bucket = _client_and_bucket(self.storage)
        self.key = object_key(self.storage, self.name)
        self.part_size = part_bytes(self.length)
        self.floor = floor_bytes(self.length)

    def after_write(self, handle) -> None:
        """Send every full part the partial file now holds."""
        end = handle.tell()
        if end - self.sent_through >= self.part_size:
            handle.flush()
            while end - self.sent_through >= self.part_size:
                self._send(handle, self.part_size)

    def finish(self, handle, *, last: bool) -> None:
        """At the end of a PATCH: send what is left if it is a part, or the last part."""
        handle.flush()
        left = handle.tell() - self.sent_through
        if left and (last or left >= self.floor):
            self._send(handle, left)

    def _send(self, handle, size: int) -> None:
        number = len(self.parts) + 1
        body = os.pread(handle.fileno(), size, self.sent_through)
        if len(body) != size:  # pragma: no cover - the bytes were just written
            raise OSError("The partial file is shorter than the part to send.")
        sent = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=body,
            ContentLength=size,
        )
        self.parts.append([number, sent["ETag"], size])
        self.sent_through += size

    def complete(self) -> None:
        """Join the parts into the final object."""
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": number, "ETag": etag} for number, etag, _ in self.parts]
            },
        )


def sent_bytes(parts: list[list]) -> int:
    return sum(size for _, _, size in parts)


def tail_offset(file_size: int, tail_start: int, tail: int) -> int:
    """Where the tail begins in the partial file, allowing for a compaction the row missed."""
    if tail_start and file_size < tail_start + tail:
        return 0  # compacted, and the worker died before it saved tail_start = 0
    return tail_start


def compact(path, tail_start: int) -> None:
    """Replace the partial file by its tail (the bytes from ``tail_start``)."""
    staged = path.with_name(path.name + ".tail")
    with open(path, "rb") as source, open(staged, "wb") as target:
        source.seek(tail_start)
        while data := source.read(MIB):
            target.write(data)
        target.flush()
        os.fsync(target.fileno())
    os.replace(staged, path)
