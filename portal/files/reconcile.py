"""The storage check: storage and the rows of stored files agree, and nothing is left behind.

A process that dies in the middle of an upload leaves what it had: a
temporary file while the bytes were arriving, or a file already moved into
storage whose row was never committed. Nothing in the request path can clean
that up, so this check does, run daily by beat (``portal.storage_check``) and
by hand (``manage.py storage_check [--fix]``). It finds:

- temporary uploads (each folder registered with ``portal.core.hooks.temp_upload_dir``)
  untouched for ``STORAGE_TEMP_GRACE_HOURS``;
- files in storage, under a ``StoredFile`` model's ``storage_prefix``, that no
  row names and that are older than the same grace — younger ones may belong
  to an upload whose transaction has not committed yet;
- rows whose file is missing from storage. Those are only reported: the row is
  the record of what was uploaded, and the file must come back from a backup.

With ``fix`` the first two are removed. Every run writes one audit event with
the counts.
"""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from portal.audit.events import record
from portal.core.hooks import TEMP_UPLOAD_DIRS
from portal.files.models import StoredFile


@dataclass(frozen=True)
class Leftover:
    """A file nothing needs: a stale temporary upload or a stored file with no row."""

    kind: str  # "temporary upload" or "file with no row"
    name: str  # a path (temporary uploads) or a storage name
    size: int
    modified: datetime


@dataclass(frozen=True)
class MissingFile:
    """A row whose file storage does not hold."""

    model: str  # app_label.ModelName
    pk: int
    name: str


@dataclass
class StorageReport:
    temporary: list[Leftover] = field(default_factory=list)
    unowned: list[Leftover] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    removed: int = 0
    rows: int = 0

    @property
    def leftovers(self) -> list[Leftover]:
        return self.temporary + self.unowned

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "temporary_uploads": len(self.temporary),
            "files_without_row": len(self.unowned),
            "rows_without_file": len(self.missing),
            "bytes_left_behind": sum(leftover.size for leftover in self.leftovers),
            "removed": self.removed,
        }


def stored_file_models() -> list[type[StoredFile]]:
    """Every concrete model whose rows are stored files, whichever app declares it."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, StoredFile) and not model._meta.abstract
    ]


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    """Every file's storage name under ``folder``."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def _temporary_uploads(cutoff: datetime) -> Iterator[Leftover]:
    for _name, folder_of in TEMP_UPLOAD_DIRS:
        folder, pattern = folder_of()
        for path in Path(folder).glob(pattern):
            try:
                facts = path.stat()
            except FileNotFoundError:
                continue  # finished (or discarded) while we looked
            modified = datetime.fromtimestamp(facts.st_mtime, tz=UTC)
            if path.is_file() and modified < cutoff:
                yield Leftover("temporary upload", str(path), facts.st_size, modified)


def check_storage(*, fix: bool = False, now: datetime | None = None) -> StorageReport:
    """Compare storage with the rows; with ``fix``, remove what nothing needs. Audited."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.STORAGE_TEMP_GRACE_HOURS)
    report = StorageReport(temporary=list(_temporary_uploads(cutoff)))

    storage = default_storage
    prefixes: dict[str, list[type[StoredFile]]] = {}
    for model in stored_file_models():
        prefixes.setdefault(model.storage_prefix, []).append(model)
    for prefix, models in sorted(prefixes.items()):
        named: dict[str, tuple[str, int]] = {}
        for model in models:
            label = model._meta.label
            rows = model._default_manager.values_list("pk", "file")
            for pk, name in rows.iterator(chunk_size=2000):
                named[name] = (label, pk)
                report.rows += 1
        present = set(_walk(storage, prefix))
        for name in sorted(present - named.keys()):
            try:
                modified = storage.get_modified_time(name)
                size = storage.size(name)
            except FileNotFoundError:
                continue
            if modified < cutoff:
                report.unowned.append(Leftover("file with no row", name, size, modified))
        for name in sorted(named.keys() - present):
            label, pk = named[name]
            report.missing.append(MissingFile(label, pk, name))

    if fix:
        for leftover in report.temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover.name)
                report.removed += 1
        for leftover in report.unowned:
            storage.delete(leftover.name)
            report.removed += 1

    record(
        "storage.checked",
        actor=None,
        details={**report.counts(), "fix": fix, "grace_hours": settings.STORAGE_TEMP_GRACE_HOURS},
    )
    return report
