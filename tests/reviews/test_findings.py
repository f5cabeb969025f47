"""Findings: recording with evidence, updating, downloading, and the marking matrix.

The matrix is the promise of the handling marking: nobody outside it sees the
finding in any list, count, download or email.
"""

import pytest
from django.core import mail
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.files.models import Download
from portal.notifications.models import Notification
from reviews.models import Assignment, Finding, FindingEvidence, Marking, Severity
from reviews.services import findings as finding_services
from tests.conftest import Role, make_person
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import (
    assign,
    invite,
    mail_text,
    mails_to,
    messages_of,
    record,
)

ALL = set(Marking.values)
WIDER_THAN_AGENCY = {Marking.INTERAGENCY, Marking.DEVELOPER, Marking.OPERATORS}
# persona → the markings under which they may read a CAISI reviewer's finding.
READS = {
    "author": ALL,
    "coordinator": ALL,
    "nsa_coordinator": WIDER_THAN_AGENCY,
    "nsa_reviewer": set(),  # another agency's reviewer, not assigned to the case
    "submitter": {Marking.DEVELOPER, Marking.OPERATORS},
    "other_submitter": set(),
    "operator": {Marking.OPERATORS},  # the bank holds read_operator_findings on the case
    "other_operator": set(),  # an operator without it
    "outsider": set(),
    "oncd_coordinator": set(),  # a monitoring agency the case is not routed to
}
WORKSPACE_STAFF = {"author", "coordinator", "nsa_coordinator"}


def severity_counts(response) -> dict:
    return dict(response.context["severity_counts"])


# The marking matrix.


@pytest.mark.parametrize("marking", Marking.values)
def test_each_persona_reads_a_finding_only_inside_its_marking(
    client, personas_matrix, review_case, marking, django_capture_on_commit_callbacks
):
    title = f"Sandbox escape under {marking} marking"
    with django_capture_on_commit_callbacks(execute=True):
        finding = record(
            personas_matrix["author"],
            review_case,
            title=title,
            severity=Severity.CRITICAL,
            marking=marking,
        )
    evidence = finding.evidence.get()
    workspace_url = reverse("reviews:case_findings", args=[review_case.pk])
    download_url = reverse("reviews:evidence_download", args=[finding.pk, evidence.pk])
    for name, person in personas_matrix.items():
        reads = marking in READS[name]
        client.force_login(person)

        # The queryset every list starts from.
        assert Finding.objects.visible_to(person).filter(pk=finding.pk).exists() == reads, name

        # The workspace's list and its counts by severity.
        page = client.get(workspace_url)
        if name in WORKSPACE_STAFF:
            assert page.status_code == 200, name
            assert (finding in page.context["findings"]) == reads, name
            assert severity_counts(page)["Critical"] == (1 if reads else 0), name
            assert (title.encode() in page.content) == reads, name
        else:
            assert page.status_code == 404, name
            assert title.encode() not in page.content

        # The Review section of the developer's case page: the findings shared with them.
        detail = client.get(reverse("portal:case_section", args=[review_case.pk, "review"]))
        if detail.status_code == 200:
            assert (title.encode() in detail.content) == (reads and name == "submitter"), name
        else:
            assert detail.status_code == 404, name

        # Search: finding titles for agency staff inside the marking, nobody else.
        found = client.get(reverse("reviews:search"), {"q": "sandbox escape"})
        if person.role:
            listed = finding.pk in [row["pk"] for row in found.context["findings"].object_list]
            assert listed == (reads and person.is_agency_staff), name
            assert (title.encode() in found.content) == listed, name
        else:
            assert found.status_code == 403, name

        # The evidence: a download for readers, 404 for everyone else.
        download = client.get(download_url)
        assert download.status_code == (200 if reads else 404), name
        if reads:
            assert b"".join(download.streaming_content) == b"proof of concept transcript"

        # Emails: never the title; a finding's notice only to people who may read it.
        for message in mails_to(person):
            assert title not in mail_text(message), name
        told = [m for m in mails_to(person) if "finding" in m.subject.lower()]
        if not reads:
            assert told == [], name
    # Someone inside the marking was told (the author never is).
    assert mails_to(personas_matrix["coordinator"])
    assert not [m for m in mails_to(personas_matrix["author"]) if "finding" in m.subject]
    # No notification row names the title either (the in-app list).
    assert not Notification.objects.filter(title__contains=title).exists()
    assert not Notification.objects.filter(body__contains=title).exists()


def test_a_withdrawn_finding_is_listed_but_not_counted(client, personas_matrix, review_case):
    finding = record(personas_matrix["author"], review_case, severity=Severity.CRITICAL)
    finding_services.update_finding(
        actor=personas_matrix["author"],
        finding_id=finding.pk,
        status=Finding.Status.WITHDRAWN,
        marking=finding.marking,
    )
    client.force_login(personas_matrix["coordinator"])
    page = client.get(reverse("reviews:case_findings", args=[review_case.pk]))
    assert finding in page.context["findings"]
    assert severity_counts(page)["Critical"] == 0


def test_the_timeline_hides_findings_outside_the_marking(
    client, personas_matrix, review_case, nsa_coordinator
):
    record(personas_matrix["author"], review_case, marking=Marking.AGENCY_ONLY)
    client.force_login(nsa_coordinator)
    page = client.get(reverse("reviews:case_timeline", args=[review_case.pk]))
    labels = [entry["label"] for entry in page.context["timeline"]]
    assert "Finding recorded" not in labels
    assert "Reviewer accepted" in labels
    client.force_login(personas_matrix["coordinator"])
    page = client.get(reverse("reviews:case_timeline", args=[review_case.pk]))
    assert "Finding recorded" in [entry["label"] for entry in page.context["timeline"]]


# Recording a finding through the page.


def finding_post(**overrides):
    data = {
        "title": "Writes ransomware on request",
        "category": "cyber_offense",
        "severity": "3",
        "description": "Step-by-step, with working code.",
        "marking": "agency_only",
    }
    data.update(overrides)
    return data


def finding_nonce(client, case) -> str:
    """The one-time token the Findings section's form carries (portal.core.nonces)."""
    return client.get(reverse("reviews:case_findings", args=[case.pk])).context["finding_nonce"]


def evidence_file(name="log.txt", body=b"session log"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body)


def test_the_lead_records_a_finding_with_evidence(
    client, lead_assignment, reviewer, review_case, media_root
):
    client.force_login(reviewer)
    page = client.get(reverse("reviews:case_findings", args=[review_case.pk]))
    form = page.context["finding_form"]
    assert form["marking"].value() == Marking.AGENCY_ONLY  # the most restrictive by default
    response = client.post(
        reverse("reviews:finding_create", args=[review_case.pk]),
        finding_post(
            nonce=page.context["finding_nonce"],
            evidence=[evidence_file("a.txt", b"one"), evidence_file("b.txt", b"two")],
        ),
    )
    finding = Finding.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#finding-{finding.pk}")
    assert (finding.author, finding.agency.acronym, finding.severity) == (reviewer, "CAISI", 3)
    assert finding.marking == Marking.AGENCY_ONLY
    stored = sorted(finding.evidence.values_list("original_name", "size"))
    assert stored == [("a.txt", 3), ("b.txt", 3)]
    # Streamed to disk: nothing left over in the temporary folder.
    assert not list((media_root / ".incoming").iterdir())
    assert AuditEvent.objects.filter(action="finding.recorded").count() == 1


def test_an_invalid_finding_shows_the_workspace_again_with_errors(
    client, lead_assignment, reviewer, review_case
):
    client.force_login(reviewer)
    response = client.post(
        reverse("reviews:finding_create", args=[review_case.pk]),
        finding_post(severity="9", title=""),
    )
    assert response.status_code == 400
    assert set(response.context["finding_form"].errors) == {"severity", "title"}
    assert not Finding.objects.exists()


def test_an_evidence_name_too_long_to_keep_is_refused(
    client, lead_assignment, reviewer, review_case, media_root
):
    # Built by hand: the test client would shorten the name to 255 characters itself.
    boundary = "ReviewerTestBoundary"
    client.force_login(reviewer)
    nonce = finding_nonce(client, review_case)
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in finding_post(nonce=nonce).items()
    )
    body = (
        f'{fields}--{boundary}\r\nContent-Disposition: form-data; name="evidence"; '
        f'filename="{"n" * 300}.txt"\r\nContent-Type: text/plain\r\n\r\nlog\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    client.force_login(reviewer)
    response = client.generic(
        "POST",
        reverse("reviews:finding_create", args=[review_case.pk]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "longer than 255 characters" in response.content.decode()
    assert not Finding.objects.exists() and not FindingEvidence.objects.exists()
    assert not list((media_root / ".incoming").iterdir())


def test_a_double_submitted_finding_form_records_one_finding(
    client, lead_assignment, reviewer, review_case
):
    client.force_login(reviewer)
    data = finding_post(nonce=finding_nonce(client, review_case))
    url = reverse("reviews:finding_create", args=[review_case.pk])
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 400
    assert "That form was already sent" in again.content.decode()
    assert Finding.objects.count() == 1


def test_an_observer_may_not_record_findings(client, review_case, coordinator, caisi):
    observer = make_person("observer", unit=caisi, role=Role.REVIEWER)
    assign(coordinator, review_case, observer, role=Assignment.Role.OBSERVER)
    client.force_login(observer)
    page = client.get(reverse("reviews:case_findings", args=[review_case.pk]))
    assert page.status_code == 200 and page.context["finding_form"] is None
    response = client.post(reverse("reviews:finding_create", args=[review_case.pk]), finding_post())
    assert response.status_code == 403
    assert not Finding.objects.exists()


def test_a_coordinator_is_no_finding_author(client, lead_assignment, coordinator, review_case):
    client.force_login(coordinator)
    response = client.post(reverse("reviews:finding_create", args=[review_case.pk]), finding_post())
    assert response.status_code == 403
    assert not Finding.objects.exists()


def test_people_without_the_workspace_get_404_when_posting_a_finding(
    client, review_case, coordinator, nsa_reviewer, submitter, caisi
):
    invited = make_person("invited", unit=caisi, role=Role.REVIEWER)
    invite(coordinator, review_case, invited)
    for person in (invited, nsa_reviewer, submitter):
        client.force_login(person)
        response = client.post(
            reverse("reviews:finding_create", args=[review_case.pk]), finding_post()
        )
        assert response.status_code == 404, person.username
    assert not Finding.objects.exists()


def test_hostile_markup_in_a_finding_is_escaped(client, lead_assignment, reviewer, review_case):
    record(
        reviewer,
        review_case,
        title="<script>alert('title')</script>",
        description="<img src=x onerror=alert(1)>",
        marking=Marking.DEVELOPER,
    )
    client.force_login(reviewer)
    page = client.get(reverse("reviews:case_findings", args=[review_case.pk]))
    assert b"<script>alert(" not in page.content
    assert b"&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page.content
    assert b"<img src=x" not in page.content
    assert b"&lt;img src=x onerror=alert(1)&gt;" in page.content


# Updating a finding.


def test_the_author_widens_the_marking_and_the_new_readers_are_told(
    client, personas_matrix, review_case, nsa_coordinator, django_capture_on_commit_callbacks
):
    author = personas_matrix["author"]
    finding = record(author, review_case, marking=Marking.AGENCY_ONLY)
    client.force_login(author)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:finding_update", args=[finding.pk]),
            {"status": "confirmed", "marking": "interagency"},
        )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.marking) == ("confirmed", "interagency")
    assert mails_to(nsa_coordinator)
    assert finding.title not in mail_text(mails_to(nsa_coordinator)[0])


def test_narrowing_a_marking_tells_nobody(
    client, personas_matrix, review_case, django_capture_on_commit_callbacks
):
    author = personas_matrix["author"]
    finding = record(author, review_case, marking=Marking.DEVELOPER)
    client.force_login(author)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reviews:finding_update", args=[finding.pk]),
            {"status": "open", "marking": "agency_only"},
        )
    finding.refresh_from_db()
    assert finding.marking == Marking.AGENCY_ONLY
    assert mail.outbox == []


def test_the_authors_coordinator_may_update_another_agencys_may_not(
    client, personas_matrix, review_case, coordinator, nsa_coordinator
):
    finding = record(personas_matrix["author"], review_case, marking=Marking.INTERAGENCY)
    url = reverse("reviews:finding_update", args=[finding.pk])
    client.force_login(nsa_coordinator)
    page = client.get(reverse("reviews:case_findings", args=[review_case.pk]))
    assert not page.context["findings"][0].may_change
    response = client.post(url, {"status": "withdrawn", "marking": "interagency"})
    assert "Only the author or their agency's coordinator can change it." in messages_of(response)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN

    client.force_login(coordinator)
    client.post(url, {"status": "mitigated", "marking": "interagency"})
    finding.refresh_from_db()
    assert finding.status == Finding.Status.MITIGATED


def test_people_who_cannot_read_a_finding_get_404_on_update(
    client, personas_matrix, review_case, nsa_coordinator, submitter
):
    finding = record(personas_matrix["author"], review_case, marking=Marking.AGENCY_ONLY)
    url = reverse("reviews:finding_update", args=[finding.pk])
    for person in (nsa_coordinator, submitter):
        client.force_login(person)
        assert client.post(url, {"status": "withdrawn", "marking": "operators"}).status_code == 404
    # The developer reads a developer-marked finding, but changes it nowhere.
    finding.marking = Marking.DEVELOPER
    finding.save()
    client.force_login(submitter)
    assert client.post(url, {"status": "withdrawn", "marking": "operators"}).status_code == 404
    finding.refresh_from_db()
    assert (finding.status, finding.marking) == ("open", "developer")


def test_a_bad_update_changes_nothing(client, personas_matrix, review_case):
    finding = record(personas_matrix["author"], review_case)
    client.force_login(personas_matrix["author"])
    response = client.post(
        reverse("reviews:finding_update", args=[finding.pk]),
        {"status": "deleted", "marking": "public"},
    )
    assert "Choose a status and a marking." in messages_of(response)
    finding.refresh_from_db()
    assert (finding.status, finding.marking) == ("open", "agency_only")


# Downloading evidence.


def test_evidence_of_another_finding_is_404(client, personas_matrix, review_case):
    first = record(personas_matrix["author"], review_case, title="First")
    second = record(personas_matrix["author"], review_case, title="Second")
    client.force_login(personas_matrix["author"])
    evidence = second.evidence.get()
    url = reverse("reviews:evidence_download", args=[first.pk, evidence.pk])
    assert client.get(url).status_code == 404
    good = reverse("reviews:evidence_download", args=[second.pk, evidence.pk])
    response = client.get(good)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="transcript.txt"')
    # One record and one audit event per request: the 404 is recorded as denied.
    assert [d.outcome for d in Download.objects.order_by("pk")] == ["denied_not_found", "allowed"]
    served = Download.objects.get(outcome="allowed")
    assert (served.stored_file, served.through, served.case_id) == (
        evidence,
        second,
        review_case.pk,
    )
    assert AuditEvent.objects.filter(action="download.denied").count() == 1
    allowed = AuditEvent.objects.get(action="download.allowed")
    assert (allowed.target_id, allowed.details["case"]) == (str(evidence.pk), review_case.pk)


def test_a_finding_notice_links_each_reader_to_a_page_they_can_open(
    client, personas_matrix, review_case, django_capture_on_commit_callbacks
):
    """Agency staff go to the workspace's Findings; the developer to the case page."""
    with django_capture_on_commit_callbacks(execute=True):
        record(personas_matrix["author"], review_case, marking=Marking.DEVELOPER)
    for name in ("coordinator", "submitter"):
        person = personas_matrix[name]
        notice = Notification.objects.get(
            recipient=person, case=review_case, title__icontains="finding"
        )
        client.force_login(person)
        assert client.get(notice.url).status_code == 200, name
    submitter_notice = Notification.objects.get(
        recipient=personas_matrix["submitter"], title__icontains="finding"
    )
    assert submitter_notice.url == reverse("portal:case_section", args=[review_case.pk, "review"])
