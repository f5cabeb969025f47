"""A model as a set of files: relative paths, the snapshot as a tree, the whole grant in one
aria2c command, and its manifest signed in the OpenSSF model-signing format.

The bank's journey end to end: list the grant, fetch the aria2c input file,
download every file to its relative path, fetch model.sig and the portal's
published key, verify the folder with the model-signing library; one changed
byte fails it. And the refusals: bad paths store nothing, another bank's grant
is a 404, a revoked grant gives neither its documents nor a byte of any file.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import model_signing
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import services as access_services
from portal.cases.models import Artifact
from portal.cases.services.artifacts import add_artifact
from portal.files.models import Download
from portal.files.uploads import HashingWriter
from tests.access.conftest import bearer

ARIA2C = shutil.which("aria2c")
SHARDS = {
    "weights/shard-0001.safetensors": b"\x01" * 70_000,
    "weights/shard-0002.safetensors": b"\x02" * 50_001,
    "tokenizer/tokenizer.json": b'{"vocab": {}}',
    "config.json": b'{"layers": 2}',
}


def put(case, user, name, body, *, path=None):
    writer = HashingWriter()
    writer.write(body)
    return add_artifact(
        actor=user,
        case_id=case.pk,
        kind="weights",
        streamed=writer.finish(),
        original_name=name,
        relative_path=path,
    )


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def snapshot(submitter, granted_case, grant):
    """The granted case gains a snapshot of shards, a tokenizer and a config."""
    for path, body in SHARDS.items():
        put(granted_case, submitter, path.rsplit("/", 1)[-1], body, path=path)
    return grant


@pytest.fixture
def token(operator, accepted):
    return bearer(operator)


def parse_aria2(text: str) -> list[dict]:
    """aria2c's input file as aria2c reads it: a URL line, then indented options."""
    entries: list[dict] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith((" ", "\t")):
            key, _, value = line.strip().partition("=")
            entries[-1][key] = value
        else:
            entries.append({"url": line})
    return entries


def download_snapshot(client, grant, token, folder: Path) -> list[dict]:
    """What ``aria2c -i`` does, through the test client: every file to its relative path."""
    response = client.get(reverse("api_aria2", args=[grant.pk]), HTTP_AUTHORIZATION=token)
    assert response.status_code == 200, response.content
    entries = parse_aria2(body_of(response).decode())
    for entry in entries:
        got = client.get(entry["url"], HTTP_AUTHORIZATION=token)
        assert got.status_code == 200
        target = folder / entry["out"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body_of(got))
    return entries


# -- Relative paths ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../etc/passwd", "may not contain “..”"),
        ("weights/../../x.bin", "may not contain “..”"),
        ("/etc/passwd", "must be relative"),
        ("a/" * 512 + "x", "at most 1,024 are allowed"),
        ("weights/", "must end with a file name"),
        ("weights\\shard.bin", "Separate folders"),
        ("model.sig", "signed manifest"),
    ],
)
def test_a_bad_path_is_refused_by_the_api_and_stores_nothing(
    client, submitter, ready_draft, media_root, path, message
):
    before = Artifact.objects.count()
    url = reverse("api_artifact_put", args=[ready_draft.pk, "shard.bin"])
    response = client.generic(
        "PUT",
        f"{url}?kind=weights&path={path}",
        b"weights",
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=bearer(submitter),
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Artifact.objects.count() == before
    incoming = media_root / ".incoming"
    assert not incoming.exists() or not any(incoming.iterdir())
    assert not (media_root / "artifacts").exists() or not any(
        (media_root / "artifacts").rglob("*.bin")
    )


def test_the_api_places_a_file_in_the_snapshot(client, submitter, ready_draft, media_root):
    url = reverse("api_artifact_put", args=[ready_draft.pk, "shard.bin"])
    response = client.generic(
        "PUT",
        f"{url}?kind=weights&path=weights//./shard-0001.safetensors",
        b"weights",
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=bearer(submitter),
    )
    assert response.status_code == 201, response.content
    assert response.json()["path"] == "weights/shard-0001.safetensors"
    artifact = Artifact.objects.get(pk=response.json()["id"])
    assert artifact.relative_path == "weights/shard-0001.safetensors"


def test_the_path_defaults_to_the_name_and_the_same_path_is_a_new_version(
    submitter, ready_draft, media_root
):
    first = put(ready_draft, submitter, "config.json", b"{}")
    assert first.relative_path == "config.json"
    second = put(ready_draft, submitter, "config-v2.json", b"{ }", path="config.json")
    assert second.supersedes == first


def test_a_version_of_one_file_may_not_take_another_files_path(submitter, ready_draft, media_root):
    from portal.cases.services.lifecycle import CaseActionRefused

    config = put(ready_draft, submitter, "config.json", b"{}")
    put(ready_draft, submitter, "tokenizer.json", b"[]")
    before = ready_draft.artifacts.count()
    writer = HashingWriter()
    writer.write(b"{ }")
    with pytest.raises(CaseActionRefused, match="already another file"):
        add_artifact(
            actor=submitter,
            case_id=ready_draft.pk,
            kind="weights",
            streamed=writer.finish(),
            original_name="x.json",
            relative_path="tokenizer.json",
            supersedes_id=config.pk,
        )
    assert ready_draft.artifacts.count() == before


def test_the_browser_form_refuses_a_bad_path_and_stores_nothing(
    client, submitter, ready_draft, media_root
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(submitter)
    page = client.get(reverse("portal:case_artifacts", args=[ready_draft.pk]))
    assert "Path in the model snapshot" in page.content.decode()
    nonce = page.context["upload_nonce"]
    before = Artifact.objects.count()
    response = client.post(
        reverse("portal:artifact_upload", args=[ready_draft.pk]),
        {
            "kind": "weights",
            "file": SimpleUploadedFile("shard.bin", b"weights"),
            "relative_path": "../../shard.bin",
            "nonce": nonce,
        },
        follow=True,
    )
    assert "may not contain “..”" in response.content.decode()
    assert Artifact.objects.count() == before


# -- The tree --------------------------------------------------------------------


def test_the_grant_page_shows_the_snapshot_as_a_tree(client, operator, accepted, snapshot):
    client.force_login(operator)
    html = client.get(reverse("access:grant_detail", args=[snapshot.pk])).content.decode()
    assert "<code>weights/</code>" in html
    assert "<code>tokenizer/</code>" in html
    assert "<code>shard-0001.safetensors</code>" in html
    assert reverse("api_aria2", args=[snapshot.pk]) in html
    assert reverse("access:model_sig", args=[snapshot.pk]) in html
    assert "model_signing verify key" in html


def test_the_grant_page_takes_the_same_queries_for_four_files_or_twelve(
    client, operator, accepted, submitter, granted_case, snapshot
):
    client.force_login(operator)
    url = reverse("access:grant_detail", args=[snapshot.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(8):
        put(granted_case, submitter, f"s{n}.bin", bytes([n]) * 10, path=f"more/deep/s{n}.bin")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "<code>deep/</code>" in response.content.decode()
    assert len(many) == len(few)


def test_the_api_lists_the_snapshot_as_a_tree(client, token, snapshot):
    payload = client.get(reverse("api_grants"), HTTP_AUTHORIZATION=token).json()
    tree = payload["grants"][0]["snapshot"]
    assert tree["type"] == "directory"
    folders = {child["name"]: child for child in tree["children"] if child["type"] == "directory"}
    assert set(folders) == {"tokenizer", "weights"}
    shards = [child["path"] for child in folders["weights"]["children"]]
    assert shards == ["weights/shard-0001.safetensors", "weights/shard-0002.safetensors"]
    files = {child["path"] for child in tree["children"] if child["type"] == "file"}
    assert "config.json" in files
    assert payload["grants"][0]["aria2_url"].endswith(f"/api/v1/grants/{snapshot.pk}/aria2.txt")


# -- The aria2c input file -------------------------------------------------------


def test_the_aria2_file_names_each_files_url_path_and_checksum(client, token, snapshot):
    response = client.get(reverse("api_aria2", args=[snapshot.pk]), HTTP_AUTHORIZATION=token)
    assert response.status_code == 200
    entries = parse_aria2(body_of(response).decode())
    by_path = {entry["out"]: entry for entry in entries}
    for path, body in SHARDS.items():
        assert by_path[path]["checksum"] == f"sha-256={hashlib.sha256(body).hexdigest()}"
        assert by_path[path]["url"].startswith("http://testserver/api/v1/grants/")
    # The case's first two artifacts sit at the top under their names.
    assert {"model card.md", "aurora-2.0.safetensors"} <= set(by_path)
    assert len(entries) == len(by_path) == len(SHARDS) + 2
    record = Download.objects.order_by("-pk").first()
    assert (record.name, record.outcome) == ("aria2.txt", Download.Outcome.ALLOWED)


# -- The signed manifest ------------------------------------------------------------


def verify(folder: Path, signature: Path, key: Path) -> None:
    model_signing.verifying.Config().use_elliptic_key_verifier(public_key=key).verify(
        folder, signature
    )


def test_a_downloaded_snapshot_verifies_against_the_published_key_and_one_byte_breaks_it(
    client, token, snapshot, tmp_path
):
    folder = tmp_path / "model"
    folder.mkdir()
    download_snapshot(client, snapshot, token, folder)
    signature = client.get(reverse("api_model_sig", args=[snapshot.pk]), HTTP_AUTHORIZATION=token)
    assert signature.status_code == 200
    assert signature["Content-Type"] == "application/json"
    (folder / "model.sig").write_bytes(body_of(signature))
    published = client.get(reverse("manifest_signing_key"))
    assert published.status_code == 200
    key = tmp_path / "manifest-signing-key.pem"
    key.write_bytes(published.content)

    verify(folder, folder / "model.sig", key)

    shard = folder / "weights" / "shard-0002.safetensors"
    data = bytearray(shard.read_bytes())
    data[1234] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Hash mismatch for 'weights/shard-0002.safetensors'"):
        verify(folder, folder / "model.sig", key)


def test_the_manifest_is_built_from_stored_digests_without_reading_a_file(
    client, token, snapshot, monkeypatch
):
    def no_reading(*args, **kwargs):
        raise AssertionError("the signed manifest read a stored file")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.open", no_reading)
    response = client.get(reverse("api_model_sig", args=[snapshot.pk]), HTTP_AUTHORIZATION=token)
    assert response.status_code == 200


def test_another_key_does_not_verify_the_manifest(client, token, snapshot, tmp_path):
    from portal.files.manifests import create_private_key, public_key_pem

    folder = tmp_path / "model"
    folder.mkdir()
    download_snapshot(client, snapshot, token, folder)
    (folder / "model.sig").write_bytes(
        body_of(client.get(reverse("api_model_sig", args=[snapshot.pk]), HTTP_AUTHORIZATION=token))
    )
    stranger = tmp_path / "other.pem"
    create_private_key(stranger)
    other_public = tmp_path / "other-public.pem"
    other_public.write_text(public_key_pem(stranger))
    with pytest.raises(ValueError, match="Key mismatch"):
        verify(folder, folder / "model.sig", other_public)


def test_a_working_reviewer_verifies_the_cases_snapshot(
    client, submitter, granted_case, snapshot, tmp_path
):
    client.force_login(submitter)
    response = client.get(reverse("portal:case_model_sig", args=[granted_case.pk]))
    assert response.status_code == 200
    folder = tmp_path / "case"
    for artifact in granted_case.artifacts.all():
        target = folder / artifact.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        with artifact.file.open("rb") as stored:
            target.write_bytes(stored.read())
    (folder / "model.sig").write_bytes(body_of(response))
    key = tmp_path / "key.pem"
    key.write_bytes(client.get(reverse("manifest_signing_key")).content)
    verify(folder, folder / "model.sig", key)


# -- Refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["api_aria2", "api_model_sig"])
def test_another_banks_token_gets_404(client, operator2, snapshot, terms, name):
    access_services.accept_terms(actor=operator2, terms_id=terms.pk)
    response = client.get(reverse(name, args=[snapshot.pk]), HTTP_AUTHORIZATION=bearer(operator2))
    assert response.status_code == 404
    assert "No such grant" in response.json()["error"]


def test_revocation_stops_the_documents_and_the_next_request_of_every_file(
    client, token, submitter, snapshot
):
    entries = parse_aria2(
        body_of(
            client.get(reverse("api_aria2", args=[snapshot.pk]), HTTP_AUTHORIZATION=token)
        ).decode()
    )
    first = entries[0]["url"]
    assert client.get(first, HTTP_AUTHORIZATION=token, HTTP_RANGE="bytes=0-9").status_code == 206

    access_services.revoke_access(actor=submitter, grant_id=snapshot.pk, reason="Pulled.")

    for entry in entries:
        refused = client.get(entry["url"], HTTP_AUTHORIZATION=token, HTTP_RANGE="bytes=10-")
        assert refused.status_code == 404
    for name in ("api_aria2", "api_model_sig"):
        refused = client.get(reverse(name, args=[snapshot.pk]), HTTP_AUTHORIZATION=token)
        assert refused.status_code == 404
    revoked = Download.objects.filter(outcome=Download.Outcome.DENIED_REVOKED)
    assert revoked.count() == len(entries) + 2


def test_the_public_key_is_public(client):
    response = client.get(reverse("manifest_signing_key"))
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert reverse("manifest_signing_key") == (
        "/.well-known/frontier-review/manifest-signing-key.pem"
    )


# -- aria2c itself ---------------------------------------------------------------------


@pytest.mark.skipif(
    not ARIA2C and os.environ.get("CI") != "true",
    reason="needs aria2c (Debian's aria2; CI installs it)",
)
def test_aria2c_downloads_the_whole_grant_in_one_command(live_server, token, snapshot, tmp_path):
    """The README's command: the input file piped from curl (here, from Python) to
    ``aria2c -i -``, eight connections, resumable; then model.sig verifies the folder."""
    import urllib.request

    def fetch(name):
        request = urllib.request.Request(  # noqa: S310  (the test's own server)
            live_server.url + reverse(name, args=[snapshot.pk]), headers={"Authorization": token}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.read()

    folder = tmp_path / "model"
    # The test database on SQLite is in memory, shared between the live server's
    # threads, where BEGIN IMMEDIATE does not serialize the audit chain's writers
    # as a database file does: there, one file at a time. PostgreSQL takes aria2c's
    # five at once (CI's second pass).
    at_once = ["-j1"] if connection.vendor == "sqlite" else []
    result = subprocess.run(  # noqa: S603  (fixed arguments)
        [
            ARIA2C or "aria2c",
            *at_once,
            "-i",
            "-",
            "--header",
            f"Authorization: {token}",
            "-x8",
            "-c",
            "-d",
            str(folder),
            "--console-log-level=warn",
            "--summary-interval=0",
        ],
        input=fetch("api_aria2"),
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for path, body in SHARDS.items():
        assert (folder / path).read_bytes() == body
    signature = folder / "model.sig"
    signature.write_bytes(fetch("api_model_sig"))
    key = tmp_path / "key.pem"
    with urllib.request.urlopen(live_server.url + reverse("manifest_signing_key")) as answer:  # noqa: S310
        key.write_bytes(answer.read())
    verify(folder, signature, key)
