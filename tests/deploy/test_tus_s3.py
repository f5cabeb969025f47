"""Resumable (tus) uploads on S3, against moto's server mode: PATCHes become multipart parts.

Parts of at least 5 MiB go to the multipart upload as they arrive; what is
left between PATCHes (less than 5 MiB) waits in the small partial file, never
the whole file; the last PATCH completes the upload into the artifact's key.
Termination and expiry abort the multipart upload, and the sweep counts them.
"""

import base64
import hashlib
import os
from datetime import timedelta

import boto3
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import AccessToken, Organization
from portal.cases.models import Artifact, ArtifactUpload
from portal.files.resumable import expire_uploads
from tests.cases.fixtures_pages import make_draft
from tests.conftest import Role, make_person
from tests.deploy.test_s3 import BUCKET, s3  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024
OFFSET_TYPE = "application/offset+octet-stream"


@pytest.fixture
def partials(settings, tmp_path):
    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    return settings.UPLOADS_PARTIAL_DIR


@pytest.fixture
def bucket(s3):  # noqa: F811 - the fixture imported above
    return boto3.client("s3", endpoint_url=s3, region_name="us-east-1")


@pytest.fixture
def case():
    developer = Organization.objects.create(
        name="Shardworks", slug="shardworks", kind=Organization.Kind.DEVELOPER
    )
    return make_draft(make_person("s3_submitter", unit=developer, role=Role.SUBMITTER))


@pytest.fixture
def auth(case):
    _token, raw = AccessToken.create_for(case.created_by, name="s3 tus", days=1)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_TUS_RESUMABLE": "1.0.0"}


def create(case, auth, length: int, **values) -> str:
    values = {"filename": "shard-1.safetensors", "kind": "weights", **values}
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
    created = Client().post(
        reverse("api_uploads", args=[case.pk]),
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=meta,
        **auth,
    )
    assert created.status_code == 201, created.content
    return created["Location"]


def patch(url, auth, piece: bytes, offset: int, **extra):
    return Client().generic(
        "PATCH",
        url,
        piece,
        content_type=OFFSET_TYPE,
        HTTP_UPLOAD_OFFSET=str(offset),
        **auth,
        **extra,
    )


def multipart_uploads(bucket) -> list:
    return bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def objects(bucket, prefix="artifacts/") -> list[str]:
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return [item["Key"] for item in listed]


def partial_sizes(partials) -> list[int]:
    return [path.stat().st_size for path in partials.iterdir()]


def test_patches_become_parts_as_they_arrive_and_the_last_completes_the_artifact(
    bucket, case, auth, partials
):
    content = os.urandom(30 * MIB + 123)
    url = create(case, auth, len(content), path="weights/shard-1.safetensors")
    upload = ArtifactUpload.objects.get()
    assert upload.multipart_id and upload.storage_name.startswith(f"artifacts/{case.pk}/")
    steps = [
        # (bytes of the PATCH, parts S3 holds after it, bytes left in the partial file)
        (7 * MIB, [7 * MIB], 0),  # at least 5 MiB: a part at the end of the PATCH
        (3 * MIB, [7 * MIB], 3 * MIB),  # less: it waits in the partial file
        (17 * MIB, [7 * MIB, 16 * MIB], 4 * MIB),  # a full 16 MiB part during the PATCH
    ]
    offset = 0
    for size, parts, left in steps:
        response = patch(url, auth, content[offset : offset + size], offset)
        assert response.status_code == 204, response.content
        offset += size
        listed = bucket.list_parts(
            Bucket=BUCKET, Key=upload.storage_name, UploadId=upload.multipart_id
        )
        assert [part["Size"] for part in listed.get("Parts", [])] == parts
        assert partial_sizes(partials) == [left]
        assert [size for _, _, size in ArtifactUpload.objects.get().parts] == parts
        assert objects(bucket) == []

    response = patch(url, auth, content[offset:], offset)

    assert response.status_code == 204, response.content
    artifact = Artifact.objects.get(pk=response["Artifact-Id"])
    assert artifact.file.name == upload.storage_name
    assert artifact.relative_path == "weights/shard-1.safetensors"
    assert (artifact.size, artifact.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    stored = bucket.get_object(Bucket=BUCKET, Key=artifact.file.name)["Body"].read()
    assert stored == content
    assert multipart_uploads(bucket) == []
    assert objects(bucket) == [artifact.file.name]
    assert not ArtifactUpload.objects.exists()
    assert list(partials.iterdir()) == []


class WorkerDied(BaseException):
    """The worker is killed: nothing after this point of the request runs."""


def test_a_compaction_the_row_missed_is_recorded_before_a_patch_that_then_dies(
    bucket, case, auth, partials, monkeypatch
):
    """Two crashes in a row: the compacted file must not be taken for an uncompacted one."""
    content = os.urandom(16 * MIB)
    url = create(case, auth, len(content))
    assert patch(url, auth, content[: 2 * MIB], 0).status_code == 204
    ArtifactUpload.objects.update(tail_start=5 * MIB)  # compacted, then the reset was lost

    def die(fd):
        raise WorkerDied

    with monkeypatch.context() as crashing, pytest.raises(WorkerDied):
        crashing.setattr("portal.files.resumable.os.fsync", die)
        patch(url, auth, content[2 * MIB : 8 * MIB], 2 * MIB)  # a part went; the row did not
    assert ArtifactUpload.objects.get().tail_start == 0
    assert partial_sizes(partials) == [8 * MIB]  # the tail and the dead request's bytes

    response = patch(url, auth, content[2 * MIB :], 2 * MIB)

    assert response.status_code == 204, response.content
    artifact = Artifact.objects.get()
    assert bucket.get_object(Bucket=BUCKET, Key=artifact.file.name)["Body"].read() == content
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()


def test_termination_aborts_the_multipart_upload(bucket, case, auth, partials):
    content = os.urandom(6 * MIB)
    url = create(case, auth, 2 * len(content))
    assert patch(url, auth, content, 0).status_code == 204
    assert len(multipart_uploads(bucket)) == 1

    response = Client().delete(url, **auth)

    assert response.status_code == 204
    assert multipart_uploads(bucket) == []
    assert objects(bucket) == []
    assert not ArtifactUpload.objects.exists()
    assert list(partials.iterdir()) == []
    assert patch(url, auth, content, len(content)).status_code == 404


def test_the_sweep_aborts_expired_and_orphaned_multipart_uploads_and_counts_them(
    bucket, case, auth, partials
):
    url = create(case, auth, 12 * MIB)
    assert patch(url, auth, os.urandom(6 * MIB), 0).status_code == 204
    create(case, auth, 1000)  # a live upload, kept
    # A multipart upload whose row never committed (a worker died in between).
    bucket.create_multipart_upload(Bucket=BUCKET, Key=f"artifacts/{case.pk}/orphan")
    ArtifactUpload.objects.filter(offset__gt=0).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    swept = expire_uploads()

    # moto says every multipart upload was initiated in 2010: the orphan counts as old.
    assert (swept.removed, swept.aborted) == (1, 2)
    assert len(multipart_uploads(bucket)) == 1  # the live upload's, which a row names
    later = expire_uploads(timezone.now() + timedelta(hours=25))
    assert (later.removed, later.aborted) == (1, 1)
    assert multipart_uploads(bucket) == []
    assert list(partials.iterdir()) == []
    assert objects(bucket) == []


def test_the_same_file_again_leaves_one_object(bucket, case, auth, partials):
    content = os.urandom(MIB)
    first = patch(create(case, auth, len(content)), auth, content, 0)
    again = patch(create(case, auth, len(content)), auth, content, 0)

    assert again.status_code == 204
    assert again["Artifact-Id"] == first["Artifact-Id"]
    assert objects(bucket) == [Artifact.objects.get().file.name]
    assert multipart_uploads(bucket) == []


def test_a_declared_sha256_that_does_not_match_leaves_nothing_in_the_bucket(
    bucket, case, auth, partials
):
    content = os.urandom(MIB)
    url = create(case, auth, len(content), sha256="0" * 64)

    response = patch(url, auth, content, 0)

    assert response.status_code == 460
    assert objects(bucket) == []
    assert multipart_uploads(bucket) == []
    assert not Artifact.objects.exists()
    assert list(partials.iterdir()) == []


def test_a_wrong_offset_is_409_and_sends_nothing(bucket, case, auth, partials):
    content = os.urandom(6 * MIB)
    url = create(case, auth, len(content))

    response = patch(url, auth, content, 5)

    assert response.status_code == 409
    upload = ArtifactUpload.objects.get()
    listed = bucket.list_parts(Bucket=BUCKET, Key=upload.storage_name, UploadId=upload.multipart_id)
    assert listed.get("Parts", []) == []
    assert partial_sizes(partials) == [0]
