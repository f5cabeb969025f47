"""Operators in the loop: what the government shares with a bank, on its grant page and by notice.

A bank holding an open grant on a case reads the findings marked *operators*
on its grant page (title, severity, text, evidence through the one serve
path), is told once when one is shared or changes, and sees agencies named,
never government people. A grant that closed stays on the bank's list and
keeps its page, its reports reachable, but shares nothing and serves nothing.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant, EvaluationReport
from access.views.downloads import granted_files
from portal.accounts.models import Organization
from portal.audit.models import AuditEvent
from portal.files.models import Download
from portal.notifications.models import Notification
from reviews.models import Assignment, Finding, Marking, Severity
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
from tests.access.conftest import bearer
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access
from tests.conftest import Role, make_person
from tests.reviews.fixtures_reviewer import mail_text, mails_to, record

Outcome = Download.Outcome


def grant_page(access_grant) -> str:
    return reverse("access:grant_detail", args=[access_grant.pk])


def evidence_url(finding) -> str:
    return reverse("reviews:evidence_download", args=[finding.pk, finding.evidence.get().pk])


@pytest.fixture
def analyst(case, coordinator, caisi):
    """A CAISI reviewer with a name, working on the case: never named to operators."""
    person = make_person(
        "dwhitfield", unit=caisi, role=Role.REVIEWER, first_name="Dana", last_name="Whitfield"
    )
    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=person,
        role=Assignment.Role.LEAD,
        due_date=case.review_due,
    )
    assignment_services.respond_to_invitation(
        actor=person,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    return person


@pytest.fixture
def granite_grant(submitter, case, granite, granite_operator):
    """A second bank with its own open grant on the case."""
    return give_access(submitter, case, granite)


def share(analyst, case, marking=Marking.OPERATORS, **fields):
    fields.setdefault("title", f"Phishing uplift, marked {marking}")
    fields.setdefault("description", f"Pretexts for wire desks ({marking}).")
    return record(analyst, case, marking=marking, severity=Severity.HIGH, **fields)


# --- the grant page ----------------------------------------------------------------------


def test_the_bank_reads_a_shared_finding_on_its_grant_page(client, analyst, operator, live_grant):
    finding = share(analyst, live_grant.case)
    client.force_login(operator)

    response = client.get(grant_page(live_grant))

    html = response.content.decode()
    assert "Findings shared with operators" in html
    assert "Phishing uplift, marked operators" in html
    assert "Pretexts for wire desks (operators)." in html
    assert "High" in html
    assert f'href="{evidence_url(finding)}"' in html
    assert finding.evidence.get().sha256 in html
    evidence = client.get(evidence_url(finding))
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content) == b"proof of concept transcript"
    assert Download.objects.get().outcome == Outcome.ALLOWED


@pytest.mark.parametrize("marking", Marking.values)
def test_marking_matrix_of_the_operators_views(
    client, analyst, operator, granite_operator, live_grant, granite_grant, marking
):
    """Only a finding marked operators reaches a bank, and only a bank with an open grant."""
    finding = share(analyst, live_grant.case, marking)
    reads = marking == Marking.OPERATORS
    outsider_bank = make_person(
        "lakeside-operator",
        unit=make_bank("Lakeside Savings", "lakeside"),
        role=Role.SECURITY_TEAM,
    )
    for person, page in ((operator, live_grant), (granite_operator, granite_grant)):
        client.force_login(person)
        html = client.get(grant_page(page)).content.decode()
        assert (finding.title in html) == reads, (person, marking)
        assert (finding.description in html) == reads, (person, marking)
        assert client.get(evidence_url(finding)).status_code == (200 if reads else 404)
        assert Finding.objects.visible_to(person).filter(pk=finding.pk).exists() == reads
    client.force_login(outsider_bank)
    assert client.get(grant_page(live_grant)).status_code == 404
    assert client.get(evidence_url(finding)).status_code == 404
    # Every refusal went through the one serve path and was recorded.
    denied = Download.objects.exclude(outcome__in=Download.SERVED)
    assert denied.count() == (1 if reads else 3)


def make_bank(name, slug):
    return Organization.objects.create(
        name=name,
        slug=slug,
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


def test_a_revoked_grant_shows_no_finding_and_its_evidence_is_404(
    client, analyst, submitter, operator, live_grant
):
    finding = share(analyst, live_grant.case)
    access_services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Paused.")
    client.force_login(operator)

    response = client.get(grant_page(live_grant))

    assert response.status_code == 200
    assert finding.title not in response.content.decode()
    assert response.context["panels"] == []
    assert client.get(evidence_url(finding)).status_code == 404
    assert Download.objects.get().outcome == Outcome.DENIED_NOT_FOUND


def test_the_grant_page_names_the_agency_never_the_person(client, analyst, operator, live_grant):
    share(analyst, live_grant.case)
    client.force_login(operator)

    html = client.get(grant_page(live_grant)).content.decode()

    assert "shared by CAISI" in html
    for name in ("Dana", "Whitfield", "dwhitfield"):
        assert name not in html


def test_the_grant_page_takes_the_same_queries_for_one_finding_or_six(
    client, analyst, operator, live_grant
):
    share(analyst, live_grant.case, title="The first")
    client.force_login(operator)
    url = grant_page(live_grant)
    client.get(url)  # warm caches (content types, the session)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200

    for number in range(5):
        share(analyst, live_grant.case, title=f"Finding {number}")
    client.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert len(response.context["panels"][0][1]["findings"]) == 6
    assert len(six) == len(one), [q["sql"] for q in six]


# --- telling the banks -------------------------------------------------------------------


def operator_notices(person):
    return Notification.objects.filter(recipient=person, title__contains="with operators")


def test_each_bank_with_an_open_grant_is_told_once_when_a_finding_is_shared(
    analyst,
    operator,
    bank,
    granite_operator,
    live_grant,
    granite_grant,
    django_capture_on_commit_callbacks,
):
    colleague = make_person("bank-colleague", unit=bank, role=Role.SECURITY_TEAM)
    no_grant = make_person(
        "lakeside-operator", unit=make_bank("Lakeside Savings", "lakeside"), role=Role.SECURITY_TEAM
    )
    with django_capture_on_commit_callbacks(execute=True):
        finding = share(analyst, live_grant.case)

    for person, access_grant in (
        (operator, live_grant),
        (colleague, live_grant),
        (granite_operator, granite_grant),
    ):
        (notice,) = operator_notices(person)
        assert notice.title == (
            f"CAISI shared a high finding with operators on {live_grant.case.title}"
        )
        assert notice.url == grant_page(access_grant)
        (message,) = mails_to(person)
        assert finding.title not in mail_text(message)
        assert "CAISI" in mail_text(message)
    assert not Notification.objects.filter(recipient=no_grant).exists()
    assert not Notification.objects.filter(title__contains=finding.title).exists()
    assert not Notification.objects.filter(body__contains=finding.title).exists()


def test_a_change_while_shared_tells_each_bank_once_per_change(
    analyst, operator, live_grant, django_capture_on_commit_callbacks
):
    finding = share(analyst, live_grant.case)
    update = finding_services.update_finding

    with django_capture_on_commit_callbacks(execute=True):
        update(actor=analyst, finding_id=finding.pk, status="confirmed", marking="operators")
        # The same change again changes nothing and tells nobody.
        update(actor=analyst, finding_id=finding.pk, status="confirmed", marking="operators")

    titles = list(operator_notices(operator).values_list("title", flat=True))
    assert sorted(titles) == [
        f"CAISI shared a high finding with operators on {live_grant.case.title}",
        f"CAISI updated a finding shared with operators on {live_grant.case.title}",
    ]
    assert "It is now confirmed" in mail_text(mails_to(operator)[-1])


def test_the_same_change_never_tells_a_bank_twice(analyst, operator, live_grant):
    finding = share(analyst, live_grant.case)
    finding_services.update_finding(
        actor=analyst, finding_id=finding.pk, status="confirmed", marking="operators"
    )
    change = AuditEvent.objects.filter(action="finding.changed").latest("sequence")
    before = operator_notices(operator).count()

    assert finding_services.tell_operators(finding, change, amended=True) == 0
    assert operator_notices(operator).count() == before == 2


def test_widening_to_operators_shares_and_narrowing_tells_no_bank(
    analyst, operator, live_grant, django_capture_on_commit_callbacks
):
    finding = share(analyst, live_grant.case, Marking.DEVELOPER)
    assert not operator_notices(operator).exists()
    update = finding_services.update_finding

    update(actor=analyst, finding_id=finding.pk, status="open", marking="operators")
    assert operator_notices(operator).count() == 1
    update(actor=analyst, finding_id=finding.pk, status="mitigated", marking="developer")
    assert operator_notices(operator).count() == 1


def test_a_bank_whose_grant_closed_is_not_told(
    analyst, submitter, operator, live_grant, granite_operator, granite_grant
):
    access_services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Paused.")
    access_services.expire_grant(granite_grant.pk, at=granite_grant.ends_at)

    share(analyst, live_grant.case)

    assert not operator_notices(operator).exists()
    assert not operator_notices(granite_operator).exists()


def test_emails_to_banks_name_the_agency_never_the_person(
    analyst, operator, live_grant, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        finding = share(analyst, live_grant.case)
        finding_services.update_finding(
            actor=analyst, finding_id=finding.pk, status="confirmed", marking="operators"
        )

    messages = mails_to(operator)
    assert len(messages) == 2
    for message in messages:
        text = mail_text(message)
        assert "CAISI" in text
        for name in ("Dana", "Whitfield", "dwhitfield"):
            assert name not in text
    for notice in Notification.objects.filter(recipient=operator):
        assert "Whitfield" not in notice.title + notice.body


# --- closed grants -----------------------------------------------------------------------


def file_report(operator, access_grant, marking="agency_only"):
    return access_services.file_report(
        actor=operator,
        grant_id=access_grant.pk,
        title=f"Our evaluation ({marking})",
        risk=EvaluationReport.Risk.HIGH,
        assessment="What our red team found.",
        marking=marking,
    )


def test_a_revoked_grant_keeps_its_page_and_the_banks_reports(
    client, submitter, operator, live_grant
):
    report = file_report(operator, live_grant)
    access_services.revoke_access(
        actor=submitter, grant_id=live_grant.pk, reason="Evaluation environment failed review."
    )
    client.force_login(operator)

    html = client.get(grant_page(live_grant)).content.decode()

    revoked_on = timezone.localtime(AccessGrant.objects.get(pk=live_grant.pk).revoked_at)
    assert f"Revoked on {revoked_on:%B %-d, %Y}: Evaluation environment failed review." in html
    report_url = reverse("access:report_detail", args=[report.pk])
    assert f'href="{report_url}"' in html
    # No new report on revoked access: the form is not offered, and refused.
    assert reverse("access:report_create", args=[live_grant.pk]) not in html
    assert client.get(reverse("access:report_create", args=[live_grant.pk])).status_code == 404
    detail = client.get(report_url)
    assert detail.status_code == 200
    assert grant_page(live_grant) in detail.content.decode()


def test_an_ended_grant_still_takes_a_report(client, operator, live_grant):
    access_services.expire_grant(live_grant.pk, at=live_grant.ends_at)
    client.force_login(operator)

    html = client.get(grant_page(live_grant)).content.decode()

    assert "Ended on " in html
    assert reverse("access:report_create", args=[live_grant.pk]) in html


def artifact_url(access_grant) -> str:
    artifact = access_grant.case.artifacts.get()
    name = next(f.name for f in granted_files(access_grant) if f.artifact == artifact)
    return reverse("access:download", args=[access_grant.pk, artifact.pk, name])


def test_a_download_from_a_revoked_grant_is_refused_in_words_and_recorded(
    client, submitter, operator, granite_operator, live_grant, terms
):
    access_services.accept_terms(actor=operator, terms_id=terms.pk)
    url = artifact_url(live_grant)
    access_services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Pulled.")
    client.force_login(operator)

    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert "was revoked on" in html and "Pulled." in html
    assert Download.objects.get().outcome == Outcome.DENIED_REVOKED
    scripted = Client().get(
        url.replace("/access/", "/api/v1/"), HTTP_AUTHORIZATION=bearer(operator)
    )
    assert scripted.status_code == 404
    assert "was revoked on" in scripted.json()["error"]
    # Another bank learns nothing of it.
    client.force_login(granite_operator)
    other = client.get(url)
    assert other.status_code == 404
    assert "Pulled." not in other.content.decode()


def test_the_list_takes_the_same_queries_for_one_closed_grant_or_several(
    client, submitter, operator, bank, case, live_grant
):
    file_report(operator, live_grant)
    access_services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="One.")
    client.force_login(operator)
    url = reverse("access:granted_models")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)

    for number in range(3):
        again = give_access(submitter, case, bank)
        file_report(operator, again)
        access_services.revoke_access(actor=submitter, grant_id=again.pk, reason=f"R{number}.")
    client.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert len(response.context["closed_grants"]) == 4
    assert response.content.decode().count("1 report by your organization") == 4
    assert len(four) == len(one), [q["sql"] for q in four]


# --- the report's marking, toward the developer -------------------------------------------


@pytest.mark.parametrize(
    ("marking", "developer_reads"), [("agency_only", False), ("developer", True)]
)
def test_marking_matrix_of_a_report_toward_the_developer(
    client,
    submitter,
    org_admin,
    other_submitter,
    coordinator,
    operator,
    live_grant,
    marking,
    developer_reads,
):
    report = file_report(operator, live_grant, marking)
    detail = reverse("access:report_detail", args=[report.pk])
    for person, reads in (
        (submitter, developer_reads),
        (org_admin, developer_reads),
        (other_submitter, False),
        (coordinator, True),
    ):
        client.force_login(person)
        assert client.get(detail).status_code == (200 if reads else 404), person
        if person in (submitter, org_admin, coordinator):
            page = client.get(case_url(live_grant.case)).content.decode()
            assert (detail in page) == reads, person
        told = Notification.objects.filter(recipient=person, url=detail).exists()
        assert told == (reads and person != other_submitter), person


def test_markup_in_what_operators_read_is_shown_as_text(
    client, analyst, submitter, operator, live_grant
):
    share(
        analyst,
        live_grant.case,
        title="<img src=x onerror=alert(1)>",
        description="<script>steal()</script>",
    )
    client.force_login(operator)

    page = client.get(grant_page(live_grant)).content.decode()

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>steal()" not in page and "&lt;script&gt;steal()&lt;/script&gt;" in page
    access_services.revoke_access(
        actor=submitter, grant_id=live_grant.pk, reason="<b>bold</b> move"
    )
    listing = client.get(reverse("access:granted_models")).content.decode()
    assert "<b>bold</b>" not in listing and "&lt;b&gt;bold&lt;/b&gt; move" in listing


def test_a_grant_not_open_yet_already_reads_and_is_told(
    client, analyst, submitter, operator, bank, case
):
    """The window governs downloads; what is shared follows the grant from its giving."""
    starts_at = timezone.now() + timedelta(days=2)
    later = give_access(
        submitter, case, bank, starts_at=starts_at, ends_at=starts_at + timedelta(days=5)
    )
    finding = share(analyst, case)
    client.force_login(operator)

    html = client.get(grant_page(later)).content.decode()

    assert "Not open yet" in html and finding.title in html
    assert "/artifacts/" not in html
    (notice,) = operator_notices(operator)
    assert notice.url == grant_page(later)
