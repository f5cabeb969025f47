"""S3-compatible storage against moto's server mode, on loopback.

An artifact uploaded by PUT streams into the bucket (django-storages'
multipart upload of the hashed temporary file); a download redirects to a
presigned URL that lives at most 60 seconds, and following it gives the bytes.
"""

import hashlib
import urllib.parse
import urllib.request

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from access.views.downloads import granted_files
from portal.accounts.models import AccessToken
from portal.bench.pages import demo_operator_grant, operator_token
from portal.cases.models import Artifact, CaseStatus, Submission
from portal.files.storage import ArtifactS3Storage
from tests.deploy.conftest import require_program

pytestmark = pytest.mark.django_db
BUCKET = "portal-artifacts-test"


@pytest.fixture
def s3(settings, monkeypatch):
    require_program("moto_server", "pip install 'moto[server]' (a dev dependency)")
    from portal.bench.servers import moto_server

    with moto_server() as endpoint:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "portal.files.storage.ArtifactS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "access_key": "testing",
                    "secret_key": "testing",
                    "signature_version": "s3v4",
                    "default_acl": None,
                    "file_overwrite": False,
                    "querystring_expire": 60,
                },
            },
        }
        settings.DOWNLOAD_BACKEND = "redirect"
        # Changing STORAGES resets django's storages; the FileField holds
        # default_storage (lazy), so it follows — checked below by isinstance.
        yield endpoint


def test_upload_streams_to_s3_and_download_follows_a_short_lived_redirect(s3):
    call_command("seed_demo", verbosity=0)  # its artifacts go to the bucket too
    content = b"frontier weights " * 70_000  # ~1.2 MB: more than one read chunk
    draft = Submission.objects.filter(status=CaseStatus.DRAFT, created_by__username="submitter")
    submitter = get_user_model().objects.get(username="submitter")
    _token, raw = AccessToken.create_for(submitter, name="s3 test", days=1)
    response = Client().put(
        reverse("api_artifact_put", args=[draft.first().pk, "model.safetensors"]) + "?kind=weights",
        data=content,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201, response.content
    artifact = Artifact.objects.get(pk=response.json()["id"])
    assert isinstance(artifact.file.storage, ArtifactS3Storage)
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    stored = boto3.client("s3", endpoint_url=s3).get_object(Bucket=BUCKET, Key=artifact.file.name)
    assert stored["Body"].read() == content

    # The operator downloads a granted artifact: a redirect to a presigned URL.
    grant = demo_operator_grant()
    granted = granted_files(grant)[0]
    expected = artifact.file.storage.open(granted.artifact.file.name).read()
    url = reverse("api_download", args=[grant.pk, granted.artifact.pk, granted.name])
    response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {operator_token()}")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert "attachment" in query["response-content-disposition"][0]
    with urllib.request.urlopen(location, timeout=10) as reply:  # noqa: S310 - loopback moto
        assert reply.read() == expected
    assert hashlib.sha256(expected).hexdigest() == granted.artifact.sha256


def test_a_resumable_upload_lands_in_the_bucket(s3, settings, tmp_path):
    """A tus upload on S3: PATCHes go to the local partial file; the finished file to the bucket."""
    import base64

    from portal.cases.models import ArtifactUpload
    from tests.cases.fixtures_pages import make_draft
    from tests.conftest import Role, make_person

    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    submitter = make_person("s3_submitter", unit=_developer(), role=Role.SUBMITTER)
    case = make_draft(submitter)
    _token, raw = AccessToken.create_for(submitter, name="s3 tus", days=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_TUS_RESUMABLE": "1.0.0"}
    content = b"frontier shard " * 100_000  # ~1.5 MB, in two PATCHes
    meta = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in (("filename", "shard-1.safetensors"), ("kind", "weights"))
    )
    created = Client().post(
        reverse("api_uploads", args=[case.pk]),
        HTTP_UPLOAD_LENGTH=str(len(content)),
        HTTP_UPLOAD_METADATA=meta,
        **auth,
    )
    assert created.status_code == 201, created.content
    half = len(content) // 2
    for offset, piece in ((0, content[:half]), (half, content[half:])):
        response = Client().generic(
            "PATCH",
            created["Location"],
            piece,
            content_type="application/offset+octet-stream",
            HTTP_UPLOAD_OFFSET=str(offset),
            **auth,
        )
        assert response.status_code == 204, response.content

    artifact = Artifact.objects.get(pk=response["Artifact-Id"])
    stored = boto3.client("s3", endpoint_url=s3).get_object(Bucket=BUCKET, Key=artifact.file.name)
    assert stored["Body"].read() == content
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    assert not ArtifactUpload.objects.exists()
    assert list(settings.UPLOADS_PARTIAL_DIR.iterdir()) == []


def _developer():
    from portal.accounts.models import Organization

    return Organization.objects.create(
        name="Shardworks", slug="shardworks", kind=Organization.Kind.DEVELOPER
    )
