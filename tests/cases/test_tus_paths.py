"""tus uploads: the file's path in the model snapshot (Upload-Metadata ``path``), and
resumable uploads offered on drafts only in the browser."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.cases.models import Artifact, ArtifactUpload
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import bearer
from tests.cases.test_tus_uploads import (
    BODY,
    assert_nothing_left,
    create,
    metadata,
    patch,
    started,
)


@pytest.fixture(autouse=True)
def partials(settings, tmp_path):
    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    return settings.UPLOADS_PARTIAL_DIR


@pytest.fixture
def token(submitter):
    return bearer(submitter)


def test_the_path_in_metadata_places_the_file_in_the_snapshot(
    client, draft, token, media, partials
):
    meta = metadata(
        filename="shard-00001.safetensors",
        kind="weights",
        path="weights//./shard-00001.safetensors",
    )
    url = started(client, draft, token, meta=meta)
    assert ArtifactUpload.objects.get().relative_path == "weights/shard-00001.safetensors"

    response = patch(client, url, token, BODY, 0)

    assert response.status_code == 204, response.content
    artifact = Artifact.objects.get()
    assert artifact.relative_path == "weights/shard-00001.safetensors"
    assert artifact.original_name == "shard-00001.safetensors"
    assert (
        AuditEvent.objects.get(action="artifact.uploaded").details["path"] == artifact.relative_path
    )
    assert_nothing_left(media, partials, artifacts=1)


def test_without_a_path_the_file_sits_at_its_name(client, draft, token, media, partials):
    assert create(client, draft, token, body=BODY).status_code == 201

    assert Artifact.objects.get().relative_path == "aurora.safetensors"


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("weights/../../etc/passwd", "“..”"),
        ("..", "“..”"),
        ("/weights/shard.safetensors", "relative"),
        ("weights\\shard.safetensors", "/ (not \\)"),
        ("weights/sh\x00ard.safetensors", "control character"),
        ("w/" + "a" * 1023, "1,025 characters"),
        ("", "Give the file's path"),
        ("weights/", "end with a file name"),
    ],
)
def test_a_bad_path_is_400_with_a_clear_message_and_creates_nothing(
    client, draft, token, media, partials, path, says
):
    meta = metadata(filename="shard.safetensors", kind="weights", path=path)

    response = create(client, draft, token, meta=meta, body=BODY)

    assert response.status_code == 400
    assert says in response.json()["error"]
    assert "Upload-Metadata path" in response.json()["error"]
    assert_nothing_left(media, partials)


def test_a_path_of_1024_characters_is_accepted(client, draft, token, media, partials):
    path = "w/" + "a" * 1022
    meta = metadata(filename="shard.safetensors", kind="weights", path=path)

    response = create(client, draft, token, meta=meta, body=BODY)

    assert response.status_code == 201, response.content
    assert Artifact.objects.get().relative_path == path


def test_the_browser_offers_resumable_uploads_on_drafts_only(
    client, draft, submitted_case, submitter
):
    client.force_login(submitter)

    draft_page = client.get(reverse("portal:case_artifacts", args=[draft.pk]))
    submitted_page = client.get(reverse("portal:case_artifacts", args=[submitted_case.pk]))

    endpoint = reverse("api_uploads", args=[draft.pk])
    assert f'data-tus-endpoint="{endpoint}"' in draft_page.content.decode()
    assert submitted_page.status_code == 200
    assert "data-tus-endpoint" not in submitted_page.content.decode()
    assert "data-upload-form" in submitted_page.content.decode()  # the whole-file form stays
