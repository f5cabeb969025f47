"""Storing streamed uploads as rows of a ``StoredFile`` model: one way, all or nothing.

A streamed upload (``portal.files.uploads.StreamedFile``) is a temporary file
whose size and SHA-256 are known. ``store_streamed_file`` moves it into
storage under a generated name (or, for an ``AssembledFile`` that a resumable
upload already put together in S3, takes it as it is), fills the row and saves it; if the row fails,
the stored file is removed again. Services that store files inside a larger
change wrap it in ``storing``, so that whatever fails later — a check, the
audit event, the commit — removes every file the change stored, and the
temporary files are discarded in every case: bad input leaves neither a row
nor a file.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from portal.files.models import StoredFile
from portal.files.uploads import (
    NO_ROOM_MESSAGE,
    AssembledFile,
    StreamedFile,
    UploadRejected,
    clean_display_name,
    crash_point,
    no_room,
)


def store_streamed_file[F: StoredFile](instance: F, streamed: StreamedFile, *, name: str) -> F:
    """Move ``streamed`` into storage as ``instance``'s file, fill its facts and save the row."""
    instance.original_name = clean_display_name(name)
    instance.size = streamed.size
    instance.sha256 = streamed.sha256
    if isinstance(streamed, AssembledFile):
        instance.file.name = streamed.stored_name  # already in storage: adopt it
    else:
        try:
            instance.file.save("upload", streamed, save=False)
        except OSError as error:
            # A move across file systems copies, and the copy can find the disk full.
            if no_room(error):
                raise UploadRejected(NO_ROOM_MESSAGE, status=507) from error
            raise
    try:
        instance.save()
        crash_point("after-move")
    except BaseException:
        if instance.file.name:
            instance.file.storage.delete(instance.file.name)
        raise
    if isinstance(streamed, AssembledFile):
        streamed.adopted = True
    return instance


class Store(Protocol):
    """What ``storing`` yields: ``store_streamed_file``, remembered for clean-up."""

    def __call__[F: StoredFile](self, instance: F, streamed: StreamedFile, *, name: str) -> F: ...


@contextmanager
def storing(streamed_files: Iterable[StreamedFile]) -> Iterator[Store]:
    """Store uploads inside the block; if the block fails, remove every file it stored.

    Enter it outside the transaction, so a failing commit is a failure too::

        with storing(uploads) as store, transaction.atomic():
            ...
            store(FindingEvidence(finding=finding, uploaded_by=actor), streamed, name=name)
    """
    streamed_files = list(streamed_files)
    stored: list[StoredFile] = []

    def store[F: StoredFile](instance: F, streamed: StreamedFile, *, name: str) -> F:
        stored.append(store_streamed_file(instance, streamed, name=name))
        return instance

    try:
        yield store
    except BaseException:
        for instance in stored:
            if instance.file.name:
                instance.file.storage.delete(instance.file.name)
        raise
    finally:
        for streamed in streamed_files:
            streamed.discard()
