"""Scripts list their grants and download with a token: ``curl -C - -O`` resumes, and
``sha256sum -c SHA256SUMS`` checks what it saved."""

import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from access import services as access_services
from portal.files.models import Download
from tests.access.conftest import MODEL_CARD, WEIGHTS_SIZE, bearer, file_named, weights_bytes

Outcome = Download.Outcome
WEIGHTS = "aurora-2.0.safetensors"


def api_download_url(access_grant, name):
    artifact = file_named(access_grant, name).artifact
    return reverse("api_download", args=[access_grant.pk, artifact.pk, name])


@pytest.fixture
def token(operator, accepted):
    return bearer(operator)


# -- GET /api/v1/grants/ -------------------------------------------------------


def test_the_grant_list_has_everything_a_script_needs(client, grant, token, granted_case):
    response = client.get(reverse("api_grants"), HTTP_AUTHORIZATION=token)

    assert response.status_code == 200
    [listed] = response.json()["grants"]
    card = file_named(grant, "model_card.md").artifact
    weights = file_named(grant, WEIGHTS).artifact
    server = "http://testserver"
    assert listed == {
        "id": grant.pk,
        "case": granted_case.number,
        "model": "Aurora 2.0",
        "developer": "Northwind Labs",
        "ends_at": listed["ends_at"],
        "terms_accepted": True,
        "sha256sums_url": server + reverse("api_sha256sums", args=[grant.pk]),
        "aria2_url": server + reverse("api_aria2", args=[grant.pk]),
        "model_sig_url": server + reverse("api_model_sig", args=[grant.pk]),
        "snapshot": listed["snapshot"],  # tests/access/test_snapshots.py
        "artifacts": [
            {
                "id": card.pk,
                "name": "model_card.md",
                "path": "model card.md",
                "original_name": "model card.md",
                "kind": "model_card",
                "size": len(MODEL_CARD),
                "sha256": card.sha256,
                "download_url": server + api_download_url(grant, "model_card.md"),
            },
            {
                "id": weights.pk,
                "name": WEIGHTS,
                "path": WEIGHTS,
                "original_name": WEIGHTS,
                "kind": "weights",
                "size": WEIGHTS_SIZE,
                "sha256": weights.sha256,
                "download_url": server + api_download_url(grant, WEIGHTS),
            },
        ],
    }
    assert parse_datetime(listed["ends_at"]) == grant.ends_at
    assert "terms_url" not in response.json()


def test_the_grant_list_says_when_the_terms_are_not_accepted(client, grant, operator, terms):
    response = client.get(reverse("api_grants"), HTTP_AUTHORIZATION=bearer(operator))
    payload = response.json()
    assert payload["grants"][0]["terms_accepted"] is False
    assert payload["terms_url"] == "http://testserver" + reverse("access:terms")


def test_the_grant_list_holds_only_live_grants_of_the_callers_organization(
    client, grant, operator2, submitter, token
):
    assert client.get(reverse("api_grants"), HTTP_AUTHORIZATION=bearer(operator2)).json() == {
        "grants": [],
        "terms_url": "http://testserver" + reverse("access:terms"),
    }
    access_services.revoke_access(actor=submitter, grant_id=grant.pk, reason="Pulled.")
    assert client.get(reverse("api_grants"), HTTP_AUTHORIZATION=token).json()["grants"] == []


def test_the_grant_list_is_for_security_teams_only(client, grant, submitter, coordinator):
    for person in (submitter, coordinator):
        response = client.get(reverse("api_grants"), HTTP_AUTHORIZATION=bearer(person))
        assert response.status_code == 403
        # Their tokens cannot carry grants:read: the scope refuses before the role.
        assert response.json()["required_scope"] == "grants:read"


def test_the_grant_list_needs_a_token_and_get(client, grant, token):
    unauthenticated = client.get(reverse("api_grants"))
    assert unauthenticated.status_code == 401
    assert unauthenticated["WWW-Authenticate"].startswith("Bearer")
    assert (
        client.get(reverse("api_grants"), HTTP_AUTHORIZATION="Bearer frp_nope").status_code == 401
    )
    posted = client.post(reverse("api_grants"), HTTP_AUTHORIZATION=token)
    assert (posted.status_code, posted["Allow"]) == (405, "GET")


# -- Downloads by token --------------------------------------------------------


def test_a_token_downloads_a_range_and_the_event_names_the_token(client, grant, token):
    response = client.get(
        api_download_url(grant, WEIGHTS),
        HTTP_AUTHORIZATION=token,
        HTTP_RANGE="bytes=10-19",
        HTTP_USER_AGENT="curl/8.5.0",
    )

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == weights_bytes()[10:20]
    event = Download.objects.get()
    assert event.token_prefix == token.removeprefix("Bearer ")[:12]
    assert (event.outcome, event.range, event.bytes_sent) == (Outcome.PARTIAL, "bytes=10-19", 10)
    assert event.user_agent == "curl/8.5.0"


def test_without_the_current_terms_the_api_answers_403_with_the_terms_url(
    client, grant, operator, terms
):
    response = client.get(api_download_url(grant, WEIGHTS), HTTP_AUTHORIZATION=bearer(operator))

    assert response.status_code == 403
    terms_url = "http://testserver" + reverse("access:terms")
    assert response.json()["terms_url"] == terms_url
    assert terms_url in response.json()["error"]
    assert Download.objects.get().outcome == Outcome.DENIED_TERMS


def test_a_submitters_token_cannot_download_through_the_grant(client, grant, submitter, terms):
    access_services.accept_terms(actor=submitter, terms_id=terms.pk)
    token = bearer(submitter)
    for url in (api_download_url(grant, WEIGHTS), reverse("api_sha256sums", args=[grant.pk])):
        response = client.get(url, HTTP_AUTHORIZATION=token)
        # A submitter's token never carries grants:read.
        assert response.status_code == 403
        assert response.json()["required_scope"] == "grants:read"


def test_operator2_gets_404_for_everything_granted_only_to_the_bank(
    client, grant, operator2, terms
):
    access_services.accept_terms(actor=operator2, terms_id=terms.pk)
    token = bearer(operator2)
    not_found = client.get(reverse("api_download", args=[grant.pk + 999, 1, WEIGHTS]))
    assert not_found.status_code == 401  # no token: nothing is looked up

    for url in (api_download_url(grant, WEIGHTS), reverse("api_sha256sums", args=[grant.pk])):
        assert client.get(url, HTTP_AUTHORIZATION=token).status_code == 404
        assert client.head(url, HTTP_AUTHORIZATION=token).status_code == 404
    client.force_login(operator2)
    for url in (
        reverse("access:grant_detail", args=[grant.pk]),
        reverse(
            "access:download", args=[grant.pk, file_named(grant, WEIGHTS).artifact.pk, WEIGHTS]
        ),
        reverse("access:sha256sums", args=[grant.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert grant.case.title not in client.get(reverse("access:granted_models")).content.decode()


def test_the_api_refuses_other_methods_in_json(client, grant, token):
    response = client.delete(api_download_url(grant, WEIGHTS), HTTP_AUTHORIZATION=token)
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert "error" in response.json()


# -- A real shell round trip ---------------------------------------------------


CURL = shutil.which("curl")
SHA256SUM = shutil.which("sha256sum")


def curl(*args, cwd, check=True):
    return subprocess.run(  # noqa: S603  (curl with our own test server's URLs)
        [CURL, "--silent", "--show-error", "--fail", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


@pytest.mark.skipif(not CURL or not SHA256SUM, reason="needs curl and sha256sum")
def test_curl_resumes_a_download_and_sha256sum_checks_it(live_server, grant, token, tmp_path):
    listing = curl(
        "-H", f"Authorization: {token}", live_server.url + reverse("api_grants"), cwd=tmp_path
    )
    assert WEIGHTS in listing.stdout
    weights_url = live_server.url + api_download_url(grant, WEIGHTS)
    card_url = live_server.url + api_download_url(grant, "model_card.md")
    sums_url = live_server.url + reverse("api_sha256sums", args=[grant.pk])
    auth = ("-H", f"Authorization: {token}")

    # The first part came down before the connection broke.
    data = weights_bytes()
    (tmp_path / WEIGHTS).write_bytes(data[:123_457])
    curl("-C", "-", "-O", *auth, weights_url, cwd=tmp_path)
    curl("-C", "-", "-O", *auth, card_url, cwd=tmp_path)
    curl("-O", *auth, sums_url, cwd=tmp_path)

    assert (tmp_path / WEIGHTS).read_bytes() == data
    check = subprocess.run(  # noqa: S603  (fixed arguments)
        [SHA256SUM, "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{WEIGHTS}: OK" in check.stdout
    assert "model_card.md: OK" in check.stdout
    resumed = Download.objects.get(name=WEIGHTS)
    assert (resumed.outcome, resumed.range) == (Outcome.PARTIAL, "bytes=123457-")
    assert resumed.bytes_sent == WEIGHTS_SIZE - 123_457
    assert resumed.user_agent.startswith("curl/")


@pytest.mark.skipif(not CURL, reason="needs curl")
def test_curl_gets_nothing_once_access_is_revoked(live_server, grant, token, submitter, tmp_path):
    access_services.revoke_access(actor=submitter, grant_id=grant.pk, reason="Pulled.")
    url = live_server.url + api_download_url(grant, WEIGHTS)
    result = curl("-O", "-H", f"Authorization: {token}", url, cwd=tmp_path, check=False)
    assert result.returncode == 22  # an HTTP error (404) under --fail
    assert "404" in result.stderr
    assert not (tmp_path / WEIGHTS).exists()
