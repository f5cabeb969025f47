"""Who may reach a case: 404 for everyone outside it, 403 for agency staff on developer actions.

A person without the object permission must not learn that a case (or its
artifact) exists: every case URL answers 404 exactly as for a missing case,
and nothing changes.
"""

import io

import pytest
from django.urls import reverse

from portal.cases.models import Artifact, CaseStatus, EvalResult, Submission
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.files.models import Download
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import (
    add_artifact,
    audit_count,
    bearer,
    make_draft,
    stored_files,
)

OUTSIDERS = ["other_submitter", "operator", "nsa_reviewer", "outsider"]


def _file():
    file = io.BytesIO(b"intruder bytes")
    file.name = "x.bin"
    return file


# (method, url name, which ids the URL takes, form data)
CASE_URLS = [
    ("get", "portal:case_detail", "case", None),
    ("get", "portal:case_edit", "case", None),
    ("post", "portal:case_edit", "case", {"model_name": "Hijacked", "model_version": "6"}),
    ("post", "portal:case_submit", "case", {"reason": "x"}),
    ("post", "portal:case_withdraw", "case", {"reason": "x", "understood": "on"}),
    ("post", "portal:case_mark_released", "case", {"understood": "on"}),
    ("post", "portal:artifact_upload", "case", "upload"),
    ("get", "portal:artifact_download", "artifact", None),
    ("post", "portal:artifact_delete", "artifact", {}),
    ("post", "portal:eval_result_set", "case", "score"),
    ("post", "portal:eval_result_remove", "result", {}),
]
URL_IDS = [f"{method}-{name.split(':')[1]}" for method, name, _, _ in CASE_URLS]


@pytest.fixture
def cases(submitter, coordinator, benchmark, media):
    """Northwind's draft and its submitted case (routed to CAISI), each with an artifact."""
    made = {}
    for state in ("draft", "submitted"):
        case = make_draft(submitter, model_name=f"Aurora {state}")
        artifact = add_artifact(case, submitter, f"{state} card".encode())
        result = artifact_services.set_eval_result(
            actor=submitter, case_id=case.pk, benchmark=benchmark, score=42
        )
        if state == "submitted":
            case = case_services.submit_case(actor=submitter, case_id=case.pk)
        made[state] = (case, artifact, result)
    return made


def request_case_url(client, spec, case, artifact, result, benchmark, **extra):
    method, name, ids, data = spec
    args = {
        "case": [case.pk],
        "artifact": [case.pk, artifact.pk],
        "result": [case.pk, result.pk],
    }[ids]
    if data == "upload":
        data = {"nonce": "n", "kind": "weights", "file": _file()}
    elif data == "score":
        data = {"benchmark": benchmark.pk, "score": "99"}
    return getattr(client, method)(reverse(name, args=args), data, **extra)


def snapshot(media):
    """Everything a refused request must leave as it was; a refused download is recorded."""
    return (
        list(Submission.objects.order_by("pk").values_list("status", "model_name")),
        list(Artifact.objects.order_by("pk").values_list("pk", "sha256")),
        list(EvalResult.objects.order_by("pk").values_list("pk", "score")),
        stored_files(media),
        audit_count() - Download.objects.count(),
    )


def assert_recorded_as(spec, *outcomes):
    """A download URL leaves one denied record per request; other URLs none."""
    expected = list(outcomes) if spec[1] == "portal:artifact_download" else []
    assert list(Download.objects.order_by("pk").values_list("outcome", flat=True)) == expected


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize("spec", CASE_URLS, ids=URL_IDS)
@pytest.mark.parametrize("persona", OUTSIDERS)
def test_every_case_url_is_404_outside_the_case(
    client, request, cases, benchmark, media, persona, spec, state
):
    case, artifact, result = cases[state]
    client.force_login(request.getfixturevalue(persona))
    before = snapshot(media)

    response = request_case_url(client, spec, case, artifact, result, benchmark)

    assert response.status_code == 404
    assert snapshot(media) == before
    assert_recorded_as(spec, Download.Outcome.DENIED_NOT_FOUND)


@pytest.mark.parametrize("spec", CASE_URLS, ids=URL_IDS)
def test_a_missing_case_answers_the_same_404(client, submitter, cases, benchmark, media, spec):
    case, artifact, result = cases["draft"]
    missing = Submission(pk=case.pk + 1000)
    client.force_login(submitter)
    response = request_case_url(client, spec, missing, artifact, result, benchmark)
    assert response.status_code == 404


def test_an_out_of_reach_upload_is_refused_before_its_body_is_read(
    client, other_submitter, cases, media, monkeypatch
):
    def must_not_stream(*args, **kwargs):
        raise AssertionError("the upload's body was read")

    monkeypatch.setattr("portal.files.uploads.HashingWriter.__init__", must_not_stream)
    case, _, _ = cases["draft"]
    client.force_login(other_submitter)
    response = client.post(
        reverse("portal:artifact_upload", args=[case.pk]), {"kind": "weights", "file": _file()}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_the_api_answers_404_json_to_another_organizations_token(
    client, request, cases, media, persona
):
    case, _, _ = cases["draft"]
    auth = bearer(request.getfixturevalue(persona))
    before = snapshot(media)
    response = client.generic(
        "PUT",
        reverse("api_artifact_put", args=[case.pk, "x.bin"]) + "?kind=weights",
        data=b"intruder bytes",
        HTTP_AUTHORIZATION=auth,
    )
    if persona == "other_submitter":
        # Another developer's token may upload, but not to this case: 404, as if none.
        assert response.status_code == 404
        assert response.json() == {"error": "No such case."}
    else:
        # Any other token lacks the upload scope: refused before the case is looked up.
        assert response.status_code == 403
        assert response.json()["required_scope"] == "cases:upload"
    assert snapshot(media) == before


@pytest.mark.parametrize("spec", CASE_URLS, ids=URL_IDS)
def test_anonymous_people_are_sent_to_sign_in(client, cases, benchmark, media, spec):
    case, artifact, result = cases["draft"]
    before = snapshot(media)
    response = request_case_url(client, spec, case, artifact, result, benchmark)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert snapshot(media) == before


def test_anonymous_api_calls_get_401_json(client, cases, media):
    case, _, _ = cases["draft"]
    response = client.generic(
        "PUT",
        reverse("api_artifact_put", args=[case.pk, "x.bin"]) + "?kind=weights",
        data=b"bytes",
    )
    assert response.status_code == 401
    assert "error" in response.json()
    assert not Artifact.objects.filter(original_name="x.bin").exists()


def test_a_routed_coordinator_sees_the_case_page(client, coordinator, cases):
    case, artifact, _ = cases["submitted"]
    client.force_login(coordinator)
    html = {}
    for url_name in ("portal:case_detail", "portal:case_artifacts", "portal:case_timeline"):
        response = client.get(reverse(url_name, args=[case.pk]))
        assert response.status_code == 200
        html[url_name] = response.content.decode()
        assert "Withdraw this case" not in html[url_name]
        assert "Upload an artifact" not in html[url_name]
    assert artifact.sha256 in html["portal:case_artifacts"]
    assert "Routed to CAISI" in html["portal:case_timeline"]


DEVELOPER_ONLY = [
    spec for spec in CASE_URLS if spec[1] != "portal:case_detail"
]  # edit, submit, withdraw, release, upload, download, delete, scores


@pytest.mark.parametrize("spec", DEVELOPER_ONLY, ids=URL_IDS[1:])
def test_a_routed_coordinator_gets_403_for_developer_actions(
    client, coordinator, cases, benchmark, media, spec
):
    case, artifact, result = cases["submitted"]
    client.force_login(coordinator)
    before = snapshot(media)
    response = request_case_url(client, spec, case, artifact, result, benchmark)
    assert response.status_code == 403
    assert snapshot(media) == before
    assert_recorded_as(spec, Download.Outcome.DENIED_ROLE)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_a_routed_coordinator_cannot_see_a_draft(client, coordinator, cases):
    case, _, _ = cases["draft"]
    client.force_login(coordinator)
    assert client.get(reverse("portal:case_detail", args=[case.pk])).status_code == 404


def test_the_developers_org_admin_sees_and_acts(client, org_admin, cases):
    case, artifact, _ = cases["draft"]
    client.force_login(org_admin)
    assert client.get(reverse("portal:case_detail", args=[case.pk])).status_code == 200
    download = client.get(reverse("portal:artifact_download", args=[case.pk, artifact.pk]))
    assert b"".join(download.streaming_content) == b"draft card"


@pytest.mark.parametrize("name", ["portal:artifact_download", "portal:artifact_delete"])
def test_an_unknown_artifact_on_a_visible_case_is_404(client, submitter, cases, media, name):
    case, _, _ = cases["draft"]
    _, other_case_artifact, _ = cases["submitted"]
    client.force_login(submitter)
    method = client.get if name.endswith("download") else client.post
    before = snapshot(media)
    for artifact_id in (other_case_artifact.pk, 999_999):
        assert method(reverse(name, args=[case.pk, artifact_id])).status_code == 404
    assert snapshot(media) == before
    assert_recorded_as((None, name), *[Download.Outcome.DENIED_NOT_FOUND] * 2)
