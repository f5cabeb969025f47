"""Verify a restored copy of the portal: the audit chain, and every stored file's bytes.

Run it against the restored database (DATABASE_URL) with the backup folder
laid out as docs/operations.md describes::

    DIR/audit-checkpoints.jsonl   the copy of AUDIT_CHECKPOINT_FILE
    DIR/media/                    the copy of MEDIA_ROOT (local storage);
                                  without it, the configured storage (a restored bucket)

It checks the audit chain against the signed checkpoints (as ``verify_audit``
does), then that every row of every stored-file model has its file, of the
recorded size and SHA-256. It reads every byte once; it changes nothing.
"""

import hashlib
from io import StringIO
from pathlib import Path

from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from portal.core.words import counted
from portal.files.reconcile import stored_file_models

CHECKPOINTS = "audit-checkpoints.jsonl"
READ_SIZE = 1024 * 1024
SHOWN = 20


def file_problem(storage: Storage, name: str, size: int, sha256: str) -> str | None:
    """What is wrong with a stored file's bytes, or None."""
    digest = hashlib.sha256()
    read = 0
    try:
        with storage.open(name, "rb") as stored:
            while chunk := stored.read(READ_SIZE):
                digest.update(chunk)
                read += len(chunk)
    except FileNotFoundError:
        return "missing"
    if read != size:
        return f"{read} bytes, the row says {size}"
    if digest.hexdigest() != sha256:
        return f"SHA-256 {digest.hexdigest()}, the row says {sha256}"
    return None


class Command(BaseCommand):
    help = (
        "Verify a restored backup: the audit chain against DIR/audit-checkpoints.jsonl, and "
        "every stored file (in DIR/media, or the configured storage) present with the size "
        "and SHA-256 its row records. Exits 0 when everything holds."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="The restored backup folder.")
        parser.add_argument(
            "--public-key",
            type=Path,
            action="append",
            dest="public_keys",
            help="A PEM public key the checkpoints were signed with (repeat for several). "
            "Default: the public half of AUDIT_SIGNING_KEY_FILE.",
        )

    def handle(self, *args, directory: Path, public_keys=None, **options):
        if not directory.is_dir():
            raise CommandError(f"No backup folder at {directory}.")
        failures: list[str] = []

        checkpoints = directory / CHECKPOINTS
        if not checkpoints.exists():
            failures.append(f"No checkpoint log at {checkpoints}: back up AUDIT_CHECKPOINT_FILE.")
        else:
            out = StringIO()
            try:
                call_command(
                    "verify_audit", checkpoints=checkpoints, public_keys=public_keys, stdout=out
                )
                self.stdout.write(out.getvalue().strip())
            except CommandError as error:
                failures.append(str(error))

        media = directory / "media"
        storage = FileSystemStorage(location=media) if media.is_dir() else default_storage
        checked = 0
        bad: list[str] = []
        for model in stored_file_models():
            rows = model._default_manager.values_list("pk", "file", "size", "sha256").order_by("pk")
            for pk, name, size, sha256 in rows.iterator(chunk_size=500):
                checked += 1
                problem = file_problem(storage, name, size, sha256)
                if problem:
                    bad.append(f"- {model._meta.label} #{pk} ({name}): {problem}")
        where = media if media.is_dir() else "the configured storage"
        if bad:
            failures.append(
                f"{counted(len(bad), 'stored file')} in {where} do not match their rows:"
            )
            failures.extend(bad[:SHOWN])
            if len(bad) > SHOWN:
                failures.append(f"- … and {len(bad) - SHOWN} more")
        if failures:
            raise CommandError("\n".join(failures))
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored files intact: {counted(checked, 'file')} in {where} match their rows."
            )
        )
