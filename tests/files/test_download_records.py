"""Every download URL, for every persona: one serve path, one record, one audit event.

Each URL pattern whose view is a download view (``portal.files.downloads.
download_view``) has a row here, and ``test_every_download_url_has_a_row``
fails for one without. The authorization matrix checks the converse: a
response that is a file comes from a download view. Each row says who gets
the file, why everyone else is refused, and what an allowed request's record
names (the file, what let the person in, the case). Requests run in the world
of ``tests/security/world.py``; each test is rolled back, so the records it
counts are its own.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.test import Client
from django.urls import reverse

from portal.accounts.models import AccessToken
from portal.audit.models import AuditEvent
from portal.files.downloads import download_view
from portal.files.models import Download
from tests.conftest import make_person
from tests.security.routes import KWARGS, download_url_names
from tests.security.world import PERSONAS, world  # noqa: F401  (the module's world)

Outcome = Download.Outcome
SIGNED_IN = [p for p in PERSONAS if p != "anonymous"]
CASE_SEEN_BY = ("coordinator", "reviewer", "submitter")
AGENCY = ("coordinator", "other_coordinator", "reviewer", "unassigned_reviewer")


@dataclass(frozen=True)
class Row:
    allowed: tuple[str, ...]  # the personas who get the file
    served: object  # world -> (stored file, what let them in, case id) of an allowed request
    refused: str = Outcome.DENIED_NOT_FOUND  # why everyone else is refused ...
    refused_as: dict = field(default_factory=dict)  # ... unless named here
    api: bool = False

    def outcome_for(self, persona: str) -> str:
        if persona in self.allowed:
            return Outcome.ALLOWED
        return self.refused_as.get(persona, self.refused)


ROWS: dict[str, Row] = {
    # Artifacts, for the developer and the assigned reviewers; the coordinator
    # sees the case, but downloading weights is not for that role (403).
    "portal:artifact_download": Row(
        allowed=("reviewer", "submitter"),
        served=lambda w: (w.artifact, w.case, w.case.pk),
        refused_as={"coordinator": Outcome.DENIED_ROLE},
    ),
    # The finding is marked for the developer.
    "reviews:evidence_download": Row(
        allowed=CASE_SEEN_BY, served=lambda w: (w.evidence, w.finding, w.case.pk)
    ),
    "reviews:attachment_download": Row(
        allowed=CASE_SEEN_BY, served=lambda w: (w.attachment, w.answered_request, w.case.pk)
    ),
    # The thread with the developer: the agencies on the case and the developer.
    "discussions:attachment_download": Row(
        allowed=CASE_SEEN_BY,
        served=lambda w: (w.message_attachment, w.developer_thread, w.case.pk),
    ),
    # The bank's grant: everyone else is refused as not granted, against the grant.
    "access:download": Row(
        allowed=("operator",),
        served=lambda w: (w.artifact, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
    ),
    "api_download": Row(
        allowed=("operator",),
        served=lambda w: (w.artifact, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
        api=True,
    ),
    # Its checksums: refused the same way, with the reason, against the grant.
    "access:sha256sums": Row(
        allowed=("operator",),
        served=lambda w: (None, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
    ),
    "api_sha256sums": Row(
        allowed=("operator",),
        served=lambda w: (None, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
        api=True,
    ),
    # The whole snapshot's aria2c input file and signed manifest: the same.
    "api_aria2": Row(
        allowed=("operator",),
        served=lambda w: (None, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
        api=True,
    ),
    "api_model_sig": Row(
        allowed=("operator",),
        served=lambda w: (None, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
        api=True,
    ),
    "access:model_sig": Row(
        allowed=("operator",),
        served=lambda w: (None, w.grant, w.case.pk),
        refused=Outcome.DENIED_NOT_GRANTED,
    ),
    # The case's signed manifest: as its artifacts.
    "portal:case_model_sig": Row(
        allowed=("reviewer", "submitter"),
        served=lambda w: (None, w.case, w.case.pk),
        refused_as={"coordinator": Outcome.DENIED_ROLE},
    ),
    # The bank's report, marked for the agencies and the developer.
    "access:report_file": Row(
        allowed=(*CASE_SEEN_BY, "operator"),
        served=lambda w: (w.report_file, w.report, w.case.pk),
    ),
    # The frontier's CSV: agency staff; a page of another role for everyone else.
    # The frontier: agency staff, the monitoring agency's among them.
    "portal:frontier_csv": Row(
        allowed=(*AGENCY, "monitor", "monitor_reviewer"),
        served=lambda w: (None, None, None),
        refused=Outcome.DENIED_ROLE,
    ),
}
# The URLs of stored files (the others send generated text).
STORED = ["portal:artifact_download", "reviews:evidence_download", "reviews:attachment_download"]
STORED += ["access:download", "api_download", "access:report_file"]


def url_of(world, name: str) -> str:  # noqa: F811
    return reverse(name, kwargs=KWARGS.get(name, lambda w: {})(world))


def client_for(world, name: str, persona: str) -> Client:  # noqa: F811
    """A browser signed in as the persona, or a script with the persona's token."""
    client = Client(HTTP_USER_AGENT="records-test/1.0")
    if persona != "anonymous":
        if ROWS[name].api:
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[persona]}"
        else:
            client.force_login(world.people[persona])
    return client


def token_may(world, persona: str, scope: str) -> bool:  # noqa: F811
    return AccessToken.objects.get(user=world.people[persona]).has_scope(scope)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_download_headers(response):
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def download_audit_events():
    return AuditEvent.objects.filter(action__startswith="download.").order_by("sequence")


# -- Every download URL has a row ---------------------------------------------


def test_every_download_url_has_a_row():
    views = download_url_names()
    missing = sorted(views - ROWS.keys())
    stale = sorted(ROWS.keys() - views)
    assert not missing, f"Add these download URLs to ROWS: {missing}"
    assert not stale, f"These rows name no download view any more: {stale}"


def test_every_row_sorts_every_persona():
    for name, row in ROWS.items():
        assert set(row.allowed) <= set(SIGNED_IN), name
        assert set(row.refused_as) <= set(SIGNED_IN) - set(row.allowed), name


# -- One record per request ----------------------------------------------------

CASES = [(name, persona) for name in sorted(ROWS) for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), CASES)
def test_each_request_leaves_one_record_and_one_audit_event(world, db, name, persona):  # noqa: F811
    row = ROWS[name]
    url = url_of(world, name)

    response = client_for(world, name, persona).get(url)

    records = list(Download.objects.all())
    events = list(download_audit_events())
    if persona == "anonymous":
        # Sent to sign in (a script: 401) before any download view: no download.
        assert response.status_code == (401 if row.api else 302)
        assert records == [] and events == []
        return
    assert len(records) == 1 and len(events) == 1, (name, persona, records, events)
    record, event = records[0], events[0]
    person = world.people[persona]
    assert (record.user, record.path, record.user_agent, record.ip) == (
        person,
        url,
        "records-test/1.0",
        "127.0.0.1",
    )
    assert record.token_prefix == (world.tokens[persona][:12] if row.api else "")
    assert (event.actor, event.details["download"], event.details["outcome"]) == (
        person,
        record.pk,
        record.outcome,
    )

    outcome = row.outcome_for(persona)
    if row.api and not token_may(world, persona, "grants:read"):
        # The token lacks the scope: refused (403) before the grant is looked up.
        outcome = Outcome.DENIED_ROLE
    assert record.outcome == outcome, (name, persona)
    if outcome == Outcome.ALLOWED:
        assert response.status_code == 200
        assert_download_headers(response)
        assert record.allowed and event.action == "download.allowed"
        assert (record.stored_file, record.through, record.case_id) == row.served(world)
        if response.streaming:
            # Written before the first byte, completed when the response closes.
            assert (record.bytes_sent, record.delivery) == (None, Download.Delivery.SENDING)
        body = body_of(response)
        record.refresh_from_db()
        assert record.bytes_sent == record.bytes_requested == len(body) > 0
        assert (record.delivery, record.whole_file) == (Download.Delivery.COMPLETE, True)
        assert record.name in response["Content-Disposition"]
    else:
        assert response.status_code == (403 if outcome == Outcome.DENIED_ROLE else 404)
        assert not record.allowed and event.action == "download.denied"
        assert (record.bytes_sent, record.bytes_requested, record.delivery) == (0, 0, "")
        if outcome == Outcome.DENIED_NOT_GRANTED:
            # The grant and the artifact are known: the case's download log shows it.
            assert (record.stored_file, record.through, record.case_id) == row.served(world)
        else:
            # Refused by the view's access helper: the record names nothing it found.
            assert (record.file_id, record.through_id, record.case_id) == (None, None, None)


def test_a_post_is_no_download(world, db):  # noqa: F811
    for name, row in ROWS.items():
        persona = row.allowed[0]
        assert client_for(world, name, persona).post(url_of(world, name)).status_code == 405
    assert not Download.objects.exists() and not download_audit_events().exists()


# -- HEAD, Range, If-Range and the backend, on every URL -------------------------


@pytest.mark.parametrize("name", sorted(ROWS))
def test_head_range_and_if_range_on_every_download_url(world, db, name):  # noqa: F811
    client = client_for(world, name, ROWS[name].allowed[0])
    url = url_of(world, name)
    whole = client.get(url)
    body, etag = body_of(whole), whole["ETag"]

    head = client.head(url)
    assert (head.status_code, head.content, head["Content-Length"]) == (200, b"", str(len(body)))
    assert_download_headers(head)
    part = client.get(url, HTTP_RANGE="bytes=0-3")
    assert (part.status_code, body_of(part)) == (206, body[:4])
    assert part["Content-Range"] == f"bytes 0-3/{len(body)}"
    assert_download_headers(part)
    resumed = client.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE=etag)
    assert (resumed.status_code, body_of(resumed)) == (206, body[:4])
    stale = client.get(url, HTTP_RANGE="bytes=0-3", HTTP_IF_RANGE='"another version"')
    assert (stale.status_code, body_of(stale)) == (200, body)
    assert client.get(url, HTTP_RANGE=f"bytes={len(body) + 10}-").status_code == 416

    assert [r.outcome for r in Download.objects.order_by("pk")] == [
        Outcome.ALLOWED,
        Outcome.HEAD,
        Outcome.PARTIAL,
        Outcome.PARTIAL,
        Outcome.ALLOWED,
        Outcome.UNSATISFIABLE,
    ]
    assert [e.action for e in download_audit_events()] == [
        *["download.allowed"] * 5,
        "download.range_not_satisfiable",
    ]
    assert [r.bytes_sent for r in Download.objects.order_by("pk")] == [
        len(body),
        0,
        4,
        4,
        len(body),
        0,
    ]


HUGE = "9" * 4400  # past int()'s 4,300-digit limit


@pytest.mark.parametrize("name", sorted(ROWS))
def test_hostile_ranges_get_the_documented_answer_and_a_record(world, db, name):  # noqa: F811
    """Oversized numbers, many ranges, garbage: the whole file, one range or 416; never 500."""
    client = client_for(world, name, ROWS[name].allowed[0])
    url = url_of(world, name)
    body = body_of(client.get(url))
    size = len(body)
    cases = [
        (f"bytes={HUGE}-", 416, b""),
        (f"bytes=0-{HUGE}", 206, body),
        (f"bytes=-{HUGE}", 206, body),
        (f"bytes={'0' * 4400}1-{'0' * 4400}2", 206, body[1:3]),
        (f"bytes={HUGE}-1{HUGE}", 416, b""),
        (",".join(f"bytes={n}-{n}" for n in range(300)), 200, body),
        ("bytes=abc-", 200, body),
        ("bytes=\u0661-\u0662", 200, body),
        ("bytes=5-1", 200, body),
        ("items=0-1", 200, body),
    ]
    Download.objects.all().delete()
    for header, status, expected in cases:
        response = client.get(url, HTTP_RANGE=header)
        assert response.status_code == status, header[:40]
        if status == 416:
            assert response["Content-Range"] == f"bytes */{size}"
        else:
            assert body_of(response) == expected, header[:40]

    outcomes = {200: Outcome.ALLOWED, 206: Outcome.PARTIAL, 416: Outcome.UNSATISFIABLE}
    records = list(Download.objects.order_by("pk"))
    assert [r.outcome for r in records] == [outcomes[status] for _h, status, _b in cases]
    assert [r.range for r in records] == [header[:100] for header, _s, _b in cases]


@pytest.mark.parametrize("name", STORED)
def test_the_download_backend_applies_to_every_stored_file(world, db, settings, monkeypatch, name):  # noqa: F811
    client = client_for(world, name, ROWS[name].allowed[0])
    url = url_of(world, name)
    stored_file = ROWS[name].served(world)[0]
    # A grant's download goes to nginx once the client proved its speed
    # (tests/access/test_accel_pace.py); here it has.
    monkeypatch.setattr("portal.files.pace.fits", lambda key, length: True)

    settings.DOWNLOAD_BACKEND = "x-accel"
    accel = client.get(url)
    assert accel["X-Accel-Redirect"].endswith(stored_file.file.name)
    assert accel.content == b""
    assert_download_headers(accel)

    settings.DOWNLOAD_BACKEND = "redirect"
    redirect = client.get(url)
    assert redirect.status_code == 302
    assert redirect["Location"].endswith(stored_file.file.name)
    assert redirect["Cache-Control"] == "private, no-store"

    assert [r.outcome for r in Download.objects.all()] == [Outcome.ALLOWED] * 2


# -- The decorator -------------------------------------------------------------


@pytest.fixture
def person(db):
    return make_person("records-person")


def _request(rf, person, method="get"):
    request = getattr(rf, method)("/files/x")
    request.user = person
    return request


def test_a_refusal_raised_or_returned_is_recorded_once(rf, person):
    def raises_404(request):
        raise Http404("No such file.")

    def raises_403(request):
        raise PermissionDenied("Not for this role.")

    def answers_404(request):
        return JsonResponse({"error": "No such file."}, status=404)

    for view, error in [(raises_404, Http404), (raises_403, PermissionDenied)]:
        with pytest.raises(error):
            download_view(view)(_request(rf, person))
    assert download_view(answers_404)(_request(rf, person)).status_code == 404

    assert [r.outcome for r in Download.objects.order_by("pk")] == [
        Outcome.DENIED_NOT_FOUND,
        Outcome.DENIED_ROLE,
        Outcome.DENIED_NOT_FOUND,
    ]
    assert download_audit_events().count() == 3


def test_bytes_sent_around_the_one_path_are_refused(rf, person):
    @download_view
    def bypass(request):
        return HttpResponse(b"secret bytes", headers={"Content-Disposition": "attachment"})

    with pytest.raises(RuntimeError, match="every download goes through"):
        bypass(_request(rf, person))
    assert bypass(_request(rf, person, "post")).status_code == 200  # not a download: no record
    assert not Download.objects.exists()


def test_an_anonymous_request_that_reaches_a_view_names_nobody(rf, db):
    @download_view
    def missing(request):
        raise Http404("No such file.")

    with pytest.raises(Http404):
        missing(_request(rf, AnonymousUser()))

    assert Download.objects.get().user is None
