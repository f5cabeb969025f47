"""The storage check: what dead uploads leave behind is found and, with --fix, removed;
rows whose file is missing are reported and kept."""

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import ReportFile
from portal.audit.models import AuditEvent
from portal.cases.models import Artifact
from portal.core import hooks
from portal.discussions.models import MessageAttachment
from portal.files import tasks
from portal.files.reconcile import check_storage, stored_file_models
from reviews.models import FindingEvidence, RequestAttachment
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import add_artifact

DAY = 24 * 3600


def age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def leftovers(media: Path, case_pk: int) -> tuple[Path, Path]:
    """A temporary upload and a stored file with no row, as killed workers leave them."""
    incoming = media / ".incoming"
    incoming.mkdir(exist_ok=True)
    temporary = incoming / "upload-abc123"
    temporary.write_bytes(b"half of a body")
    unowned = media / "artifacts" / str(case_pk) / ("f" * 32)
    unowned.parent.mkdir(parents=True, exist_ok=True)
    unowned.write_bytes(b"moved, never committed")
    return temporary, unowned


def check(*args) -> str:
    out = StringIO()
    call_command("storage_check", *args, stdout=out)
    return out.getvalue()


def test_every_stored_file_model_is_checked_under_its_own_prefix():
    assert set(stored_file_models()) == {
        Artifact,
        FindingEvidence,
        RequestAttachment,
        ReportFile,
        MessageAttachment,
    }
    prefixes = [model.storage_prefix for model in stored_file_models()]
    assert all(prefixes) and len(set(prefixes)) == len(prefixes)


def test_fresh_leftovers_are_left_alone_within_the_grace(draft, submitter, media):
    temporary, unowned = leftovers(media, draft.pk)
    add_artifact(draft, submitter, b"kept")
    output = check("--fix")
    assert "0 temporary uploads, 0 files with no row (0 files removed)" in output
    assert temporary.exists() and unowned.exists()


def test_old_leftovers_are_listed_then_removed_with_fix(draft, submitter, media):
    artifact = add_artifact(draft, submitter, b"kept")
    temporary, unowned = leftovers(media, draft.pk)
    age(temporary, DAY + 60)
    age(unowned, DAY + 60)
    age(Path(artifact.file.path), DAY + 60)  # an old file that has its row: kept

    output = check()
    assert f"temporary upload: {temporary}" in output
    assert f"file with no row: artifacts/{draft.pk}/{'f' * 32}" in output
    assert "Run with --fix" in output
    assert temporary.exists() and unowned.exists()

    output = check("--fix")
    assert "1 temporary upload, 1 file with no row (2 files removed)" in output
    assert not temporary.exists() and not unowned.exists()
    assert Path(artifact.file.path).exists()
    event = AuditEvent.objects.filter(action="storage.checked").order_by("-sequence").first()
    assert event.actor is None
    assert event.details["temporary_uploads"] == 1
    assert event.details["files_without_row"] == 1
    assert event.details["removed"] == 2
    assert event.details["fix"] is True
    assert "0 temporary uploads, 0 files with no row" in check()


def test_a_row_whose_file_is_missing_is_reported_and_kept(draft, submitter, media):
    artifact = add_artifact(draft, submitter, b"will vanish")
    os.unlink(artifact.file.path)
    with pytest.raises(CommandError, match="1 row name a file storage does not hold"):
        check("--fix")
    assert Artifact.objects.filter(pk=artifact.pk).exists()
    report = check_storage()
    assert [(m.model, m.pk) for m in report.missing] == [("cases.Artifact", artifact.pk)]


def test_other_temporary_folders_join_through_the_hook(db, media, monkeypatch):
    partial = media / "partial-uploads"
    partial.mkdir()
    partial_file = partial / "0123.part"
    partial_file.write_bytes(b"resumable, abandoned")
    age(partial_file, DAY * 2)
    (partial / "0123.info").write_text("{}")  # not matched by the pattern: left alone
    monkeypatch.setattr(hooks, "TEMP_UPLOAD_DIRS", list(hooks.TEMP_UPLOAD_DIRS))
    monkeypatch.setattr("portal.files.reconcile.TEMP_UPLOAD_DIRS", hooks.TEMP_UPLOAD_DIRS)
    hooks.temp_upload_dir("resumable uploads")(lambda: (partial, "*.part"))
    report = check_storage(fix=True)
    assert [leftover.name for leftover in report.temporary] == [str(partial_file)]
    assert not partial_file.exists() and (partial / "0123.info").exists()


def test_the_daily_task_fixes_and_beat_runs_it(draft, submitter, media):
    temporary, unowned = leftovers(media, draft.pk)
    age(temporary, DAY + 1)
    age(unowned, DAY + 1)
    counts = tasks.storage_check()
    assert (counts["temporary_uploads"], counts["files_without_row"], counts["removed"]) == (
        1,
        1,
        2,
    )
    assert settings.CELERY_BEAT_SCHEDULE["storage-check"]["task"] == "portal.storage_check"
