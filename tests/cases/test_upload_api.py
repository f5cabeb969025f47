"""``PUT /api/v1/cases/<id>/artifacts/<name>``: scripts stream artifacts with a token."""

import hashlib
import io
import re
import tracemalloc
from urllib.parse import quote

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.cases.models import Artifact
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import (
    assert_nothing_stored,
    audit_count,
    bearer,
    same_bytes,
    stored_files,
    write_random_file,
)

MB = 1024 * 1024


def put(client, case, body=b"", *, name="aurora.safetensors", query="?kind=weights", **extra):
    url = reverse("api_artifact_put", args=[case.pk, "NAME"]).replace("NAME", quote(name, safe=""))
    return client.generic(
        "PUT", url + query, data=body, content_type="application/octet-stream", **extra
    )


@pytest.fixture
def token(submitter):
    return bearer(submitter)


def test_a_12_mb_put_is_hashed_while_it_streams(client, draft, token, media, tmp_path):
    source = tmp_path / "aurora.safetensors"
    expected = write_random_file(source, 12 * MB)

    with open(source, "rb") as body:
        response = put(
            client,
            draft,
            HTTP_AUTHORIZATION=token,
            HTTP_X_CONTENT_SHA256=expected,
            CONTENT_LENGTH=str(12 * MB),
            **{"wsgi.input": body},
        )

    assert response.status_code == 201, response.content
    payload = response.json()
    artifact = Artifact.objects.get()
    assert payload["id"] == artifact.pk
    assert (payload["sha256"], payload["size"]) == (expected, 12 * MB)
    assert (artifact.sha256, artifact.size, artifact.kind) == (expected, 12 * MB, "weights")
    assert artifact.original_name == "aurora.safetensors"
    assert re.fullmatch(rf"artifacts/{draft.pk}/[0-9a-f]{{32}}", artifact.file.name)
    assert same_bytes(media / artifact.file.name, source)
    assert stored_files(media) == [media / artifact.file.name]
    assert AuditEvent.objects.get(action="artifact.uploaded").details["sha256"] == expected


def test_memory_stays_flat_during_a_24_mb_put(client, draft, token, media, tmp_path):
    source = tmp_path / "big.bin"
    expected = write_random_file(source, 24 * MB)

    with open(source, "rb") as body:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            response = put(
                client,
                draft,
                HTTP_AUTHORIZATION=token,
                CONTENT_LENGTH=str(24 * MB),
                **{"wsgi.input": body},
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == expected
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB while receiving 24 MB"


def test_putting_the_same_file_twice_keeps_one_artifact(client, draft, token, media):
    first = put(client, draft, b"weights", HTTP_AUTHORIZATION=token)
    files, before = stored_files(media), audit_count()

    again = put(client, draft, b"weights", HTTP_AUTHORIZATION=token)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert_nothing_stored(media, artifacts_before=1, files_before=files, audit_before=before)


def test_a_changed_file_under_the_same_name_is_a_new_artifact(client, draft, token, media):
    put(client, draft, b"weights v1", HTTP_AUTHORIZATION=token)
    response = put(client, draft, b"weights v2", HTTP_AUTHORIZATION=token)
    assert response.status_code == 201
    assert Artifact.objects.count() == 2
    assert len(stored_files(media)) == 2


def test_after_submission_a_put_adds_a_new_version(client, submitted_case, token, media):
    earlier = submitted_case.artifacts.get()
    response = put(
        client,
        submitted_case,
        b"card v2",
        name="card.md",
        query=f"?kind=model_card&supersedes={earlier.pk}",
        HTTP_AUTHORIZATION=token,
    )
    assert response.status_code == 201, response.content
    assert response.json()["supersedes"] == earlier.pk
    assert response.json()["case"] == submitted_case.number
    earlier.refresh_from_db()
    assert earlier.sha256 == hashlib.sha256(b"model card text").hexdigest()


def test_the_sha256_header_must_match(client, draft, token, media):
    before = audit_count()
    response = put(
        client,
        draft,
        b"weights",
        HTTP_AUTHORIZATION=token,
        HTTP_X_CONTENT_SHA256=hashlib.sha256(b"other bytes").hexdigest(),
    )
    assert response.status_code == 400
    assert "does not match" in response.json()["error"]
    assert "Nothing was stored" in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)


@pytest.mark.parametrize("header", ["abc", "g" * 64, "0" * 63, "0" * 65])
def test_a_malformed_sha256_header_is_refused(client, draft, token, media, header):
    before = audit_count()
    response = put(
        client, draft, b"weights", HTTP_AUTHORIZATION=token, HTTP_X_CONTENT_SHA256=header
    )
    assert response.status_code == 400
    assert response.json() == {"error": "X-Content-SHA256 must be 64 hexadecimal characters."}
    assert_nothing_stored(media, audit_before=before)


@pytest.mark.parametrize("query", ["", "?kind=", "?kind=malware"])
def test_an_unknown_kind_is_refused(client, draft, token, media, query):
    before = audit_count()
    response = put(client, draft, b"weights", query=query, HTTP_AUTHORIZATION=token)
    assert response.status_code == 400
    assert response.json()["error"].startswith("Add ?kind= with one of: weights, model_card")
    assert_nothing_stored(media, audit_before=before)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a\\b", "must not contain folders"),
        ("..", "must not contain folders"),
        ("evil\x07.bin", "must not contain control characters"),
        ("evil\n.bin", "must not contain control characters"),
        ("n" * 300, "longer than 255 characters"),
    ],
)
def test_a_bad_file_name_is_refused(client, draft, token, media, name, message):
    before = audit_count()
    response = put(client, draft, b"weights", name=name, HTTP_AUTHORIZATION=token)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)


def test_an_empty_body_is_refused(client, draft, token, media):
    before = audit_count()
    response = put(client, draft, HTTP_AUTHORIZATION=token, CONTENT_LENGTH="0")
    assert response.status_code == 400
    assert response.json() == {"error": "The file is empty."}
    assert_nothing_stored(media, audit_before=before)


def test_a_body_over_the_limit_is_refused_with_413(client, draft, token, media, settings):
    settings.ARTIFACT_MAX_BYTES = 1000
    before = audit_count()
    response = put(client, draft, b"x" * 1001, HTTP_AUTHORIZATION=token)
    assert response.status_code == 413
    assert "larger than the maximum of 1000" in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)
    assert put(client, draft, b"x" * 1000, HTTP_AUTHORIZATION=token).status_code == 201


def test_an_interrupted_body_stores_nothing(client, draft, token, media):
    before = audit_count()
    body = b"x" * 5000
    response = put(
        client,
        draft,
        HTTP_AUTHORIZATION=token,
        CONTENT_LENGTH=str(len(body) + 1000),
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert response.status_code == 400
    assert "interrupted: 5000 of 6000 bytes arrived" in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)


@pytest.mark.parametrize("length", ["", "lots"])
def test_a_body_without_a_length_is_refused_with_411(client, draft, token, media, length):
    before = audit_count()
    response = put(
        client,
        draft,
        HTTP_AUTHORIZATION=token,
        CONTENT_LENGTH=length,
        **{"wsgi.input": io.BytesIO(b"weights")},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert_nothing_stored(media, audit_before=before)


def test_supersedes_must_be_an_artifact_of_the_case(client, draft, token, media):
    before = audit_count()
    not_a_number = put(client, draft, b"w", query="?kind=weights&supersedes=x", **_auth(token))
    elsewhere = put(client, draft, b"w", query="?kind=weights&supersedes=999", **_auth(token))
    assert not_a_number.status_code == 400
    assert elsewhere.status_code == 400
    assert elsewhere.json() == {"error": "supersedes names no artifact of this case."}
    assert_nothing_stored(media, audit_before=before)


def test_a_withdrawn_case_takes_no_artifacts(client, draft, submitter, token, media):
    from portal.cases.services.lifecycle import withdraw_case

    withdraw_case(actor=submitter, case_id=draft.pk, reason="Cancelled.")
    before = audit_count()
    response = put(client, draft, b"weights", HTTP_AUTHORIZATION=token)
    assert response.status_code == 409
    assert response.json() == {"error": "This case is withdrawn."}
    assert_nothing_stored(media, audit_before=before)


def test_only_put_is_allowed(client, draft, token, media):
    response = client.post(
        reverse("api_artifact_put", args=[draft.pk, "x.bin"]), HTTP_AUTHORIZATION=token
    )
    assert response.status_code == 405
    assert Artifact.objects.count() == 0


def test_without_a_token_the_api_answers_401_json(client, draft, submitter, media):
    client.force_login(submitter)  # a browser session is not enough
    before = audit_count()
    response = put(client, draft, b"weights")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="portal"'
    assert "Authorization: Bearer" in response.json()["error"]
    bad = put(client, draft, b"weights", HTTP_AUTHORIZATION="Bearer frp_not-a-token")
    assert bad.status_code == 401
    assert bad.json() == {"error": "The token is not valid."}
    assert_nothing_stored(media, audit_before=before)


def test_a_routed_coordinators_token_may_not_upload(client, submitted_case, coordinator, media):
    auth = bearer(coordinator)
    files, before = stored_files(media), audit_count()
    response = put(client, submitted_case, b"weights", HTTP_AUTHORIZATION=auth)
    # An agency person's token carries read scopes only: refused before any other check.
    assert response.status_code == 403
    assert response.json()["required_scope"] == "cases:upload"
    assert_nothing_stored(media, artifacts_before=1, files_before=files, audit_before=before)


def _auth(token):
    return {"HTTP_AUTHORIZATION": token}
