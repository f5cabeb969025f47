"""Operators' evaluation reports: filed by the bank, read by the case's agencies.

The developer reads a report only when the bank marked it for the developer;
another bank, another agency and a reviewer not on the case never learn it exists.
"""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access import services
from access.models import AccessGrant, EvaluationReport
from access.selectors import readable_reports, reports_on_seen_case
from portal.cases.models import Submission
from portal.files.uploads import HashingWriter
from portal.notifications.models import Notification
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url
from tests.conftest import Role, make_person

EVIDENCE = b"host,finding\nteller-gw,prompt injection reached the payments API\n"


def create_url(access_grant):
    return reverse("access:report_create", args=[access_grant.pk])


def detail_url(report):
    return reverse("access:report_detail", args=[report.pk])


def file_url(report, report_file):
    return reverse("access:report_file", args=[report.pk, report_file.pk])


def report_post(**overrides):
    data = {
        "title": "Phishing uplift against our tellers",
        "risk": "high",
        "assessment": "The model writes convincing pretexts for our wire desk.",
        "marking": "agency_only",
    }
    data.update(overrides)
    return data


def file_report(operator, access_grant, marking, *, files=()):
    streamed = []
    for body, name in files:
        writer = HashingWriter()
        writer.write(body)
        streamed.append((writer.finish(), name))
    return services.file_report(
        actor=operator,
        grant_id=access_grant.pk,
        title=f"Report marked {marking}",
        risk=EvaluationReport.Risk.MODERATE,
        assessment="What we found.",
        marking=marking,
        files=streamed,
    )


# --- filing ----------------------------------------------------------------------------


def test_the_operator_files_a_report_with_evidence(
    client, operator, coordinator, submitter, live_grant
):
    client.force_login(operator)
    form = client.get(create_url(live_grant))
    assert form.status_code == 200
    nonce = form.context["nonce"]

    response = client.post(
        create_url(live_grant),
        {**report_post(), "nonce": nonce, "files": SimpleUploadedFile("scan.csv", EVIDENCE)},
    )

    report = EvaluationReport.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(report)
    assert (report.operator, report.author, report.case) == (
        live_grant.operator,
        operator,
        live_grant.case,
    )
    assert report.marking == EvaluationReport.Marking.AGENCY_ONLY
    stored = report.files.get()
    assert stored.original_name == "scan.csv"
    assert stored.sha256 == hashlib.sha256(EVIDENCE).hexdigest()
    # Agencies are told; the developer is not, as the report is not marked for them.
    assert Notification.objects.filter(recipient=coordinator, url=detail_url(report)).count() == 1
    assert not Notification.objects.filter(recipient=submitter, url=detail_url(report)).exists()


def test_a_report_sent_twice_is_filed_once(client, operator, live_grant):
    client.force_login(operator)
    nonce = client.get(create_url(live_grant)).context["nonce"]

    client.post(create_url(live_grant), {**report_post(), "nonce": nonce})
    again = client.post(create_url(live_grant), {**report_post(), "nonce": nonce})

    assert again.status_code == 400
    assert EvaluationReport.objects.count() == 1


def test_a_report_without_an_assessment_is_refused_and_nothing_is_stored(
    client, operator, live_grant
):
    client.force_login(operator)
    nonce = client.get(create_url(live_grant)).context["nonce"]

    response = client.post(
        create_url(live_grant),
        {
            **report_post(assessment="   "),
            "nonce": nonce,
            "files": SimpleUploadedFile("scan.csv", EVIDENCE),
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["assessment"]
    assert not EvaluationReport.objects.exists()


@pytest.mark.parametrize(
    "who", ["granite_operator", "submitter", "coordinator", "other_submitter", "outsider"]
)
def test_only_the_granted_operator_may_report(client, request, who, live_grant):
    client.force_login(request.getfixturevalue(who))

    assert client.get(create_url(live_grant)).status_code == 404
    assert client.post(create_url(live_grant), report_post()).status_code == 404
    assert not EvaluationReport.objects.exists()


def test_no_report_on_revoked_access(client, submitter, operator, live_grant):
    services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Closed.")
    client.force_login(operator)

    assert client.post(create_url(live_grant), report_post()).status_code == 404
    assert not EvaluationReport.objects.exists()


def test_a_report_may_follow_access_that_ended(client, operator, live_grant):
    services.expire_grant(live_grant.pk, at=live_grant.ends_at)
    client.force_login(operator)

    assert client.get(create_url(live_grant)).status_code == 200


# --- who reads a report ----------------------------------------------------------------


@pytest.fixture
def readers(
    coordinator,
    accepted_reviewer,
    submitter,
    org_admin,
    operator,
    granite_operator,
    other_submitter,
    nsa_coordinator,
    outsider,
    caisi,
):
    return {
        "routed coordinator": coordinator,
        "accepted reviewer": accepted_reviewer,
        "developer submitter": submitter,
        "developer admin": org_admin,
        "reporting operator": operator,
        "another operator's team member": make_person(
            "bank-colleague", unit=operator.membership.organization, role=Role.SECURITY_TEAM
        ),
        "other bank": granite_operator,
        "other developer": other_submitter,
        "unrouted agency coordinator": nsa_coordinator,
        "reviewer not on the case": make_person("idle-reviewer", unit=caisi, role=Role.REVIEWER),
        "outsider": outsider,
    }


AGENCIES_AND_AUTHOR = {
    "routed coordinator",
    "accepted reviewer",
    "reporting operator",
    "another operator's team member",
}


@pytest.mark.parametrize(
    ("marking", "allowed"),
    [
        ("agency_only", AGENCIES_AND_AUTHOR),
        ("developer", AGENCIES_AND_AUTHOR | {"developer submitter", "developer admin"}),
    ],
)
def test_who_may_read_a_report_and_its_files(
    client, readers, operator, live_grant, marking, allowed
):
    report = file_report(operator, live_grant, marking, files=[(EVIDENCE, "scan.csv")])
    evidence = report.files.get()

    seen = {}
    for label, person in readers.items():
        client.force_login(person)
        detail = client.get(detail_url(report))
        download = client.get(file_url(report, evidence))
        assert detail.status_code == download.status_code, label
        seen[label] = detail.status_code

    assert {label for label, status in seen.items() if status == 200} == allowed
    assert {status for label, status in seen.items() if label not in allowed} == {404}

    # The case pages' shortcut: for everyone who sees the case, the same reports.
    case = live_grant.case
    for label, person in readers.items():
        if Submission.objects.visible_to(person).filter(pk=case.pk).exists():
            shortcut = set(reports_on_seen_case(person, case))
            assert shortcut == set(readable_reports(person).filter(case=case)), label


def test_the_report_file_is_the_bytes_that_were_sent(client, coordinator, operator, live_grant):
    report = file_report(operator, live_grant, "agency_only", files=[(EVIDENCE, "scan.csv")])
    client.force_login(coordinator)

    response = client.get(file_url(report, report.files.get()))

    assert b"".join(response.streaming_content) == EVIDENCE
    assert 'filename="scan.csv"' in response["Content-Disposition"]


def test_a_file_of_another_report_is_404(client, coordinator, operator, live_grant):
    first = file_report(operator, live_grant, "agency_only", files=[(EVIDENCE, "a.csv")])
    second = file_report(operator, live_grant, "agency_only")
    client.force_login(coordinator)

    assert client.get(file_url(second, first.files.get())).status_code == 404


def test_the_panel_lists_reports_by_marking(client, submitter, coordinator, operator, live_grant):
    hidden = file_report(operator, live_grant, "agency_only")
    shared = file_report(operator, live_grant, "developer")

    client.force_login(submitter)
    developer_page = client.get(case_url(live_grant.case)).content.decode()
    client.force_login(coordinator)
    agency_page = client.get(case_url(live_grant.case)).content.decode()

    assert detail_url(shared) in developer_page
    assert detail_url(hidden) not in developer_page
    assert detail_url(shared) in agency_page
    assert detail_url(hidden) in agency_page


def test_html_in_a_report_is_shown_as_text(client, coordinator, operator, live_grant):
    report = services.file_report(
        actor=operator,
        grant_id=live_grant.pk,
        title="<img src=x onerror=alert(1)>",
        risk="critical",
        assessment="<script>steal()</script>",
        marking="agency_only",
    )
    client.force_login(coordinator)

    page = client.get(detail_url(report)).content.decode()

    assert "<script>steal()" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;steal()&lt;/script&gt;" in page
    assert AccessGrant.objects.get().reports.count() == 1
