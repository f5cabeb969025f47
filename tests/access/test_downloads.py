"""Downloading a granted artifact in the browser: every request checked, every request logged."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant
from access.views.downloads import granted_files, safe_filename, sha256sums
from portal.accounts.models.tokens import scopes_for
from portal.files.models import Download
from portal.files.serve import file_response
from tests.access.conftest import (
    MODEL_CARD,
    WEIGHTS_SIZE,
    bearer,
    file_named,
    store_artifact,
    weights_bytes,
)
from tests.conftest import Role, make_person

Outcome = Download.Outcome
WEIGHTS = "aurora-2.0.safetensors"


def download_url(access_grant, artifact_id, name):
    grant_id = getattr(access_grant, "pk", access_grant)
    return reverse("access:download", args=[grant_id, artifact_id, name])


def weights_url(access_grant):
    return download_url(access_grant, file_named(access_grant, WEIGHTS).artifact.pk, WEIGHTS)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def signed_in(client, operator, accepted):
    client.force_login(operator)
    return client


def last_event() -> Download:
    return Download.objects.order_by("-pk").first()


# -- The whole file ------------------------------------------------------------


def test_the_operator_downloads_the_whole_file_and_it_is_logged(signed_in, grant, operator):
    weights = file_named(grant, WEIGHTS).artifact
    response = signed_in.get(weights_url(grant), HTTP_USER_AGENT="Firefox/140")

    assert response.status_code == 200
    assert body_of(response) == weights_bytes()
    assert response["Content-Length"] == str(WEIGHTS_SIZE)
    assert response["ETag"] == f'"{weights.sha256}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == f'attachment; filename="{WEIGHTS}"'
    assert response["Cache-Control"] == "private, no-store"
    event = last_event()
    assert (event.outcome, event.bytes_sent, event.range) == (Outcome.ALLOWED, WEIGHTS_SIZE, "")
    assert (event.through, event.stored_file, event.case_id) == (grant, weights, grant.case_id)
    assert (event.user, event.ip, event.user_agent) == (operator, "127.0.0.1", "Firefox/140")
    assert event.token_prefix == ""


def test_the_url_ends_with_a_file_system_safe_name(signed_in, grant):
    card = file_named(grant, "model_card.md")
    assert card.artifact.original_name == "model card.md"
    url = download_url(grant, card.artifact.pk, "model_card.md")
    assert url.endswith("/model_card.md")
    assert body_of(signed_in.get(url)) == MODEL_CARD
    # The name as uploaded is no address: only the one download name is.
    assert signed_in.get(url.replace("model_card.md", "model%20card.md")).status_code == 404


def test_head_sends_the_headers_without_a_body(signed_in, grant):
    response = signed_in.head(weights_url(grant))

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(WEIGHTS_SIZE)
    assert response["ETag"].startswith('"')
    assert response["Content-Disposition"] == f'attachment; filename="{WEIGHTS}"'
    assert (last_event().outcome, last_event().bytes_sent) == (Outcome.HEAD, 0)


def test_head_of_a_range_answers_206_without_a_body(signed_in, grant):
    response = signed_in.head(weights_url(grant), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert response.content == b""
    assert response["Content-Range"] == f"bytes 0-9/{WEIGHTS_SIZE}"


def test_other_methods_are_not_allowed(signed_in, grant):
    assert signed_in.post(weights_url(grant)).status_code == 405
    assert not Download.objects.exists()


# -- Ranges --------------------------------------------------------------------

DATA = weights_bytes()
SIZE = WEIGHTS_SIZE


@pytest.mark.parametrize(
    ("header", "status", "content_range", "expected"),
    [
        ("bytes=0-99", 206, f"bytes 0-99/{SIZE}", DATA[:100]),
        ("bytes=1000-1999", 206, f"bytes 1000-1999/{SIZE}", DATA[1000:2000]),
        ("bytes=-100", 206, f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}", DATA[-100:]),
        ("bytes=299000-", 206, f"bytes 299000-{SIZE - 1}/{SIZE}", DATA[299000:]),
        ("bytes=299990-400000", 206, f"bytes 299990-{SIZE - 1}/{SIZE}", DATA[299990:]),
        ("bytes=-999999", 206, f"bytes 0-{SIZE - 1}/{SIZE}", DATA),
        ("bytes=abc", 200, None, DATA),
        ("lines=0-10", 200, None, DATA),
        ("bytes=20-10", 200, None, DATA),
        ("bytes=0-1,5-6", 200, None, DATA),
    ],
)
def test_ranges(signed_in, grant, header, status, content_range, expected):
    response = signed_in.get(weights_url(grant), HTTP_RANGE=header)

    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    assert body_of(response) == expected
    assert response["Content-Length"] == str(len(expected))
    event = last_event()
    assert event.outcome == (Outcome.PARTIAL if status == 206 else Outcome.ALLOWED)
    assert (event.range, event.bytes_sent) == (header, len(expected))


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 10}", "bytes=-0"])
def test_a_range_past_the_end_is_416_with_the_size(signed_in, grant, header):
    response = signed_in.get(weights_url(grant), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert (last_event().outcome, last_event().bytes_sent) == (Outcome.UNSATISFIABLE, 0)


def test_if_range_with_the_current_etag_resumes(signed_in, grant):
    etag = signed_in.head(weights_url(grant))["ETag"]

    resumed = signed_in.get(weights_url(grant), HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206
    assert body_of(resumed) == DATA[100:]

    stale = signed_in.get(weights_url(grant), HTTP_RANGE="bytes=100-", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200
    assert body_of(stale) == DATA
    dated = signed_in.get(
        weights_url(grant), HTTP_RANGE="bytes=100-", HTTP_IF_RANGE="Tue, 01 Sep 2026 00:00:00 GMT"
    )
    assert dated.status_code == 200


def test_the_etag_is_the_sha256_of_the_bytes(signed_in, grant):
    card = file_named(grant, "model_card.md").artifact
    response = signed_in.get(download_url(grant, card.pk, "model_card.md"))
    assert response["ETag"] == f'"{hashlib.sha256(MODEL_CARD).hexdigest()}"'
    weights = signed_in.get(weights_url(grant))
    assert weights["ETag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'


# -- Checked at the moment of each request -------------------------------------


def test_revocation_between_two_ranges_stops_the_second(signed_in, grant, submitter):
    first = signed_in.get(weights_url(grant), HTTP_RANGE="bytes=0-149999")
    assert first.status_code == 206
    assert body_of(first) == DATA[:150000]

    access_services.revoke_access(actor=submitter, grant_id=grant.pk, reason="Pulled.")

    second = signed_in.get(weights_url(grant), HTTP_RANGE="bytes=150000-")
    assert second.status_code == 404
    assert [e.outcome for e in Download.objects.order_by("pk")] == [
        Outcome.PARTIAL,
        Outcome.DENIED_REVOKED,
    ]
    assert last_event().range == "bytes=150000-"


def api_head(access_grant, token):
    weights = file_named(access_grant, WEIGHTS).artifact
    url = reverse("api_download", args=[access_grant.pk, weights.pk, WEIGHTS])
    return Client().head(url, HTTP_AUTHORIZATION=token)


@pytest.fixture
def short_grant(submitter, granted_case, bank):
    starts_at = timezone.now().replace(microsecond=0)
    return access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


def test_access_ends_exactly_at_its_end(operator, accepted, short_grant, frozen):
    # A token, not a session: an hour on, an operator's idle session would have run out
    # (and whether it had would depend on how long the test took to get here).
    token = bearer(operator)

    frozen.moment = short_grant.ends_at - timedelta(microseconds=1)
    assert api_head(short_grant, token).status_code == 200

    frozen.moment = short_grant.ends_at
    assert api_head(short_grant, token).status_code == 404
    assert last_event().outcome == Outcome.DENIED_WINDOW

    # Expired by the sweep, the grant is gone from the operator's view altogether.
    assert access_services.expire_grant(short_grant.pk)
    assert api_head(short_grant, token).status_code == 404
    assert last_event().outcome == Outcome.DENIED_WINDOW


def test_access_starts_exactly_at_its_start(
    client, operator, accepted, submitter, granted_case, bank, frozen
):
    starts_at = timezone.now() + timedelta(days=1)
    later = access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=1),
    )
    # A token, not a session: a day later the test's session would have run out.
    token = bearer(operator)
    frozen.moment = starts_at - timedelta(microseconds=1)
    assert api_head(later, token).status_code == 404
    frozen.moment = starts_at
    assert api_head(later, token).status_code == 200


def test_another_artifact_id_in_the_url_is_404(signed_in, grant, submitter, make_ready_draft):
    weights = file_named(grant, WEIGHTS).artifact
    other_case = make_ready_draft(model_name="Borealis")
    foreign = store_artifact(submitter, other_case, b"other bytes", name=WEIGHTS)

    for artifact_id in (foreign.pk, weights.pk + 1000):
        response = signed_in.get(download_url(grant, artifact_id, WEIGHTS))
        assert response.status_code == 404
    assert signed_in.get(download_url(grant.pk + 1000, weights.pk, WEIGHTS)).status_code == 404
    # None names an artifact of the grant's case: each is recorded as not found,
    # against no grant, file or case, so no case's download log shows it.
    records = Download.objects.order_by("pk")
    assert [r.outcome for r in records] == [Outcome.DENIED_NOT_FOUND] * 3
    assert {(r.through_id, r.file_id, r.case_id) for r in records} == {(None, None, None)}


def test_an_artifact_the_grant_does_not_share_is_404(
    signed_in, submitter, granted_case, bank, operator
):
    card = granted_case.artifacts.get(kind="model_card")
    weights = granted_case.artifacts.get(kind="weights")
    card_only = access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        all_artifacts=False,
        artifact_ids=[card.pk],
    )

    assert signed_in.get(download_url(card_only, card.pk, "model_card.md")).status_code == 200
    response = signed_in.get(download_url(card_only, weights.pk, WEIGHTS))
    assert response.status_code == 404
    event = last_event()
    assert (event.outcome, event.stored_file, event.user) == (
        Outcome.DENIED_NOT_GRANTED,
        weights,
        operator,
    )


def test_a_new_version_keeps_both_names_apart(signed_in, grant, submitter, granted_case):
    old = file_named(grant, WEIGHTS).artifact
    newer = store_artifact(submitter, granted_case, b"retrained weights", name=WEIGHTS)
    newer_name = f"aurora-2.0-{newer.pk}.safetensors"

    assert file_named(grant, WEIGHTS).artifact == old
    assert body_of(signed_in.get(download_url(grant, newer.pk, newer_name))) == (
        b"retrained weights"
    )
    sums = body_of(signed_in.get(reverse("access:sha256sums", args=[grant.pk]))).decode()
    assert f"{old.sha256}  {WEIGHTS}\n" in sums
    assert f"{newer.sha256}  {newer_name}\n" in sums


# -- Who may download ----------------------------------------------------------


def test_a_download_without_the_current_terms_is_refused_with_a_pointer(
    client, operator, grant, terms
):
    client.force_login(operator)
    response = client.get(weights_url(grant))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Download refused" in html
    assert f'action="{reverse("access:terms_accept")}"' in html
    assert last_event().outcome == Outcome.DENIED_TERMS


STATES = [s.value for s in AccessGrant.Status]
# Who gets what from the download URL, by the grant's state.
DOWNLOAD_MATRIX = {
    "operator": {"nominated": 404, "active": 200, "revoked": 404, "expired": 404},
    "operator2": dict.fromkeys(STATES, 404),
    "submitter": dict.fromkeys(STATES, 404),
    "other_submitter": dict.fromkeys(STATES, 404),
    "coordinator": dict.fromkeys(STATES, 404),
    "reviewer": dict.fromkeys(STATES, 404),
    "outsider": dict.fromkeys(STATES, 404),
}


@pytest.fixture
def everyone(
    terms, operator, operator2, submitter, other_submitter, coordinator, reviewer, outsider
):
    people = {
        "operator": operator,
        "operator2": operator2,
        "submitter": submitter,
        "other_submitter": other_submitter,
        "coordinator": coordinator,
        "reviewer": reviewer,
        "outsider": outsider,
    }
    for person in people.values():  # the terms are never the reason in this matrix
        access_services.accept_terms(actor=person, terms_id=terms.pk)
    return people


@pytest.mark.parametrize("state", STATES)
def test_download_matrix_by_session(everyone, grant_in, state):
    access_grant = grant_in(state)
    url = weights_url(access_grant)
    for persona, person in everyone.items():
        client = Client()
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == DOWNLOAD_MATRIX[persona][state], (persona, state)

    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))


@pytest.mark.parametrize("state", STATES)
def test_download_matrix_by_token(everyone, grant_in, state):
    access_grant = grant_in(state)
    weights = file_named(access_grant, WEIGHTS).artifact
    url = reverse("api_download", args=[access_grant.pk, weights.pk, WEIGHTS])
    for persona, person in everyone.items():
        response = Client().get(url, HTTP_AUTHORIZATION=bearer(person))
        # A token without grants:read (everyone but the banks) is refused before the grant.
        expected = DOWNLOAD_MATRIX[persona][state] if has_grants_read(person) else 403
        assert response.status_code == expected, (persona, state)
    assert Client().get(url).status_code == 401


def has_grants_read(person) -> bool:
    return "grants:read" in scopes_for(person)


def test_denied_attempts_are_logged_with_who_and_why(everyone, grant_in):
    revoked = grant_in(AccessGrant.Status.REVOKED)
    live = grant_in(AccessGrant.Status.ACTIVE)
    for access_grant in (revoked, live):
        for persona in ("operator", "operator2", "submitter"):
            client = Client()
            client.force_login(everyone[persona])
            client.get(weights_url(access_grant))

    logged = {
        (e.through_id, e.user.username, e.outcome) for e in Download.objects.select_related("user")
    }
    assert logged == {
        (revoked.pk, "operator", Outcome.DENIED_REVOKED),
        (revoked.pk, "operator2", Outcome.DENIED_NOT_GRANTED),
        (revoked.pk, "submitter", Outcome.DENIED_NOT_GRANTED),
        (live.pk, "operator", Outcome.ALLOWED),
        (live.pk, "operator2", Outcome.DENIED_NOT_GRANTED),
        (live.pk, "submitter", Outcome.DENIED_NOT_GRANTED),
    }


def test_a_second_person_of_the_bank_downloads_too(client, grant, bank, terms):
    colleague = make_person("colleague", unit=bank, role=Role.SECURITY_TEAM)
    client.force_login(colleague)
    assert client.get(weights_url(grant)).status_code == 403  # own acceptance needed
    access_services.accept_terms(actor=colleague, terms_id=terms.pk)
    assert client.get(weights_url(grant)).status_code == 200


# -- SHA256SUMS ----------------------------------------------------------------


def test_sha256sums_lists_every_granted_file_under_its_download_name(signed_in, grant):
    response = signed_in.get(reverse("access:sha256sums", args=[grant.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="SHA256SUMS"'
    card = file_named(grant, "model_card.md").artifact
    weights = file_named(grant, WEIGHTS).artifact
    assert response.content.decode() == (
        f"{card.sha256}  model_card.md\n{weights.sha256}  {WEIGHTS}\n"
    )


def test_sha256sums_honours_ranges(signed_in, grant):
    url = reverse("access:sha256sums", args=[grant.pk])
    whole = signed_in.get(url).content
    part = signed_in.get(url, HTTP_RANGE="bytes=10-19")
    assert (part.status_code, part.content) == (206, whole[10:20])
    assert part["Content-Range"] == f"bytes 10-19/{len(whole)}"
    too_far = signed_in.get(url, HTTP_RANGE=f"bytes={len(whole)}-")
    assert (too_far.status_code, too_far["Content-Range"]) == (416, f"bytes */{len(whole)}")


def test_sha256sums_is_404_for_anyone_else_and_after_revocation(
    client, grant, operator, operator2, submitter
):
    url = reverse("access:sha256sums", args=[grant.pk])
    for person in (operator2, submitter):
        client.force_login(person)
        assert client.get(url).status_code == 404
    access_services.revoke_access(actor=submitter, grant_id=grant.pk, reason="Pulled.")
    client.force_login(operator)
    assert client.get(url).status_code == 404
    # Each refusal is recorded with its reason, against the grant, like an artifact's.
    records = Download.objects.order_by("pk")
    assert [(r.outcome, r.through, r.name) for r in records] == [
        (Download.Outcome.DENIED_NOT_GRANTED, grant, "SHA256SUMS"),
        (Download.Outcome.DENIED_NOT_GRANTED, grant, "SHA256SUMS"),
        (Download.Outcome.DENIED_REVOKED, grant, "SHA256SUMS"),
    ]


def test_sha256sums_after_the_window_is_recorded_as_outside_it(client, grant, operator, frozen):
    frozen.moment = grant.ends_at
    client.force_login(operator)

    assert client.get(reverse("access:sha256sums", args=[grant.pk])).status_code == 404
    assert Download.objects.get().outcome == Download.Outcome.DENIED_WINDOW


# -- Hostile names -------------------------------------------------------------

HOSTILE = [
    ('say "hi".bin', "say__hi_.bin"),
    ("modèle-été.bin", "mod_le-_t_.bin"),
    ("../../etc/passwd", "_._.._etc_passwd"),
    ("a\\b.bin", "a_b.bin"),
    ("line\r\nX-Injected: 1.bin", "line__X-Injected__1.bin"),
    (".hidden", "_hidden"),
    ("..", "_."),
    ("", "artifact"),
]


@pytest.mark.parametrize(("name", "safe"), HOSTILE)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize(("name", "safe"), HOSTILE[:6])
def test_hostile_names_download_under_their_safe_name(signed_in, grant, name, safe):
    weights = file_named(grant, WEIGHTS).artifact
    # Uploads refuse folders and control characters; a name changed in the database must
    # still come out harmless.
    type(weights).objects.filter(pk=weights.pk).update(original_name=name)

    assert file_named(grant, safe).artifact == weights
    response = signed_in.get(download_url(grant, weights.pk, safe))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{safe}"'
    sums = signed_in.get(reverse("access:sha256sums", args=[grant.pk])).content.decode()
    assert f"{weights.sha256}  {safe}\n" in sums


@pytest.mark.parametrize("name", [name for name, _ in HOSTILE[:5]])
def test_file_response_keeps_any_name_inside_one_header(db, rf, settings, tmp_path, name):
    settings.DOWNLOAD_BACKEND = "sendfile"
    storage = FileSystemStorage(location=tmp_path)
    stored = storage.save("blob", ContentFile(b"12345"))

    class FieldFile:
        def __init__(self):
            self.storage, self.name = storage, stored

    response = file_response(rf.get("/"), FieldFile(), filename=name, size=5, sha256="ab" * 32)
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header.startswith("attachment; filename")
    assert header.count('"') in (0, 2) or '\\"' in header
    response.close()


def test_sha256sums_text_matches_sha256sum_format(grant):
    for line in sha256sums(granted_files(grant)).splitlines():
        digest, _, name = line.partition("  ")
        assert len(digest) == 64 and safe_filename(name) == name
