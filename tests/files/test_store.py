"""One stored-file shape, one store helper: all or nothing, never an orphan file."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction

from access.models import ReportFile
from portal.cases.models import Artifact
from portal.discussions.models import MessageAttachment
from portal.files.models import StoredFile
from portal.files.store import store_streamed_file, storing
from portal.files.uploads import UploadRejected
from reviews.models import FindingEvidence, RequestAttachment
from tests.security.world import streamed, world  # noqa: F401  (the module's world)


def files_under(folder: str) -> set[str]:
    root = Path(settings.MEDIA_ROOT) / folder
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_every_model_with_a_file_is_a_stored_file():
    with_files = {
        model
        for model in apps.get_models()
        if any(isinstance(f, models.FileField) for f in model._meta.get_fields())
    }
    assert with_files == {
        Artifact,
        FindingEvidence,
        RequestAttachment,
        ReportFile,
        MessageAttachment,
    }
    assert all(issubclass(model, StoredFile) for model in with_files)


def test_storage_folders_keep_each_kind_of_file_apart(world, db):  # noqa: F811
    case = world.case.pk
    assert world.artifact.file.name.startswith(f"artifacts/{case}/")
    assert world.evidence.file.name.startswith(f"evidence/{case}/")
    assert world.attachment.file.name.startswith(f"answers/{case}/")
    assert world.report_file.file.name.startswith(f"reports/{case}/")
    assert world.message_attachment.file.name.startswith(f"discussions/{case}/")


def test_the_store_moves_the_upload_and_fills_its_facts(world, db):  # noqa: F811
    upload = streamed(b"a model card")
    temporary = upload.temporary_file_path()

    artifact = store_streamed_file(
        Artifact(case=world.draft, kind="other", uploaded_by=world.people["submitter"]),
        upload,
        name=" card.md ",
    )

    artifact.refresh_from_db()
    assert (artifact.original_name, artifact.size) == ("card.md", 12)
    assert artifact.sha256 == upload.sha256 and len(artifact.sha256) == 64
    assert artifact.file.read() == b"a model card"
    assert not Path(temporary).exists()  # moved, not copied


def test_a_row_that_fails_leaves_no_file(world, db):  # noqa: F811
    before = files_under("artifacts")
    upload = streamed(b"orphan?")
    with pytest.raises(IntegrityError), transaction.atomic():
        store_streamed_file(Artifact(case=world.draft, kind="other"), upload, name="x.md")
    upload.discard()

    assert files_under("artifacts") == before
    assert not Artifact.objects.filter(original_name="x.md").exists()


def test_a_bad_name_stores_nothing(world, db):  # noqa: F811
    before = files_under("artifacts")
    upload = streamed(b"bytes")
    with pytest.raises(UploadRejected):
        store_streamed_file(
            Artifact(case=world.draft, kind="other", uploaded_by=world.people["submitter"]),
            upload,
            name="../etc/passwd",
        )
    upload.discard()
    assert files_under("artifacts") == before


def test_storing_undoes_every_file_when_the_change_fails_later(world, db):  # noqa: F811
    before, incoming = files_under("artifacts"), files_under(".incoming")
    uploads = [streamed(b"first"), streamed(b"second")]
    submitter = world.people["submitter"]

    with pytest.raises(RuntimeError), storing(uploads) as store, transaction.atomic():
        for upload, name in zip(uploads, ["one.md", "two.md"], strict=True):
            store(
                Artifact(case=world.draft, kind="other", uploaded_by=submitter), upload, name=name
            )
        raise RuntimeError("the audit event failed")

    assert files_under("artifacts") == before
    assert files_under(".incoming") == incoming  # the temporary files are gone too
    assert not Artifact.objects.filter(original_name__in=["one.md", "two.md"]).exists()


def test_storing_keeps_what_a_change_stored_and_discards_the_temporary_files(world, db):  # noqa: F811
    incoming = files_under(".incoming")
    uploads = [streamed(b"kept")]

    with storing(uploads) as store, transaction.atomic():
        artifact = store(
            Artifact(case=world.draft, kind="other", uploaded_by=world.people["submitter"]),
            uploads[0],
            name="kept.md",
        )

    assert artifact.file.read() == b"kept"
    assert files_under(".incoming") == incoming
