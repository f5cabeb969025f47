"""Toward developers and operators the government is named by agency, never by person.

Government people with names nobody else uses work a case through its review:
information requests, a finding shared with the developer, a nomination, the
recommendation. The developer's case page, its timeline, every email to the
developer and the operator, and the API answers to both name the agency
("CAISI") and never a government username or display name.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from portal.accounts.models import AccessToken
from portal.cases.models import CaseStatus
from portal.cases.selectors import case_timeline
from portal.cases.services import lifecycle as case_services
from portal.cases.services import release_dates
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
from reviews.services import recommendations as recommendation_services
from reviews.services import requests as request_services
from tests.conftest import Role, make_person

GOVERNMENT_WORDS = ["quillfeather", "Ottoline", "Quillfeather", "brackenridge", "Brackenridge"]


def assert_no_government_person(text: str, where: str) -> None:
    for word in GOVERNMENT_WORDS:
        assert word not in text, f"{word!r} in {where}"


@pytest.fixture
def named_coordinator(caisi):
    return make_person(
        "quillfeather", unit=caisi, role=Role.COORDINATOR, first_name="Ottoline", last_name="Q."
    )


@pytest.fixture
def named_reviewer(caisi):
    return make_person(
        "brackenridge", unit=caisi, role=Role.REVIEWER, first_name="Ira", last_name="Brackenridge"
    )


@pytest.fixture
def worked_case(
    case_in,
    submitter,
    named_coordinator,
    named_reviewer,
    bank,
    operator,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """A case worked through its review by the named people, every email sent."""
    with django_capture_on_commit_callbacks(execute=True):
        case = case_in(CaseStatus.SUBMITTED)
        case_services.start_review(actor=named_coordinator, case_id=case.pk)
        assignment = assignment_services.assign_reviewer(
            actor=named_coordinator,
            case_id=case.pk,
            reviewer=named_reviewer,
            role="lead",
            due_date=case.review_due,
        )
        assignment_services.respond_to_invitation(
            actor=named_reviewer,
            assignment_id=assignment.pk,
            accept=True,
            financial_interest=False,
            recent_employment=False,
        )
        request = request_services.open_request(
            actor=named_reviewer,
            case_id=case.pk,
            question="Which evaluation run is final?",
            response_due=timezone.localdate() + timedelta(days=7),
        )
        request_services.answer_request(actor=submitter, request_id=request.pk, answer="Run 7.")
        finding_services.record_finding(
            actor=named_reviewer,
            case_id=case.pk,
            title="Exploit chains",
            category="cyber_offense",
            severity=3,
            description="Writes working exploit chains.",
            marking="developer",
        )
        nomination = access_services.nominate_access(
            actor=named_coordinator, case_id=case.pk, operator=bank
        )
        recommendation_services.draft_recommendation(
            actor=named_reviewer, case_id=case.pk, outcome="mitigations", summary="Mitigate."
        )
        recommendation_services.issue_recommendation(actor=named_coordinator, case_id=case.pk)
    # Approved after the issue, so the page still shows who nominated the operator.
    with django_capture_on_commit_callbacks(execute=True):
        access_services.approve_nomination(actor=submitter, grant_id=nomination.pk)
    case.refresh_from_db()
    case.grant = nomination
    return case


def test_the_developer_case_page_and_timeline_name_the_agency(client, worked_case, submitter):
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[worked_case.pk])).content.decode()

    assert_no_government_person(page, "the developer's case page")
    timeline = client.get(reverse("portal:case_timeline", args=[worked_case.pk])).content.decode()
    assert_no_government_person(timeline, "the developer's case timeline")
    assert "Review started</p>" in timeline
    assert "· CAISI" in timeline  # the timeline names the agency
    review = client.get(reverse("portal:case_section", args=[worked_case.pk, "review"]))
    assert_no_government_person(review.content.decode(), "the developer's Review section")
    assert "by CAISI" in review.content.decode()  # the recommendation
    access = client.get(reverse("portal:case_section", args=[worked_case.pk, "access"]))
    assert_no_government_person(access.content.decode(), "the developer's access section")
    assert "nominated by CAISI" in access.content.decode()  # the access panel


def test_agency_staff_still_see_the_person(worked_case, named_coordinator):
    staff = case_timeline(worked_case, for_developer=False)
    developer = case_timeline(worked_case, for_developer=True)
    started = [e for e in staff if e.action == "case.review_started"]
    assert [e.who for e in started] == ["quillfeather"]
    assert [e.who for e in developer if e.action == "case.review_started"] == ["CAISI"]
    # The developer's own people keep their names.
    assert [e.who for e in developer if e.action == "case.submitted"] == ["submitter"]


def test_the_operator_grant_page_names_no_person(client, worked_case, operator):
    client.force_login(operator)
    page = client.get(reverse("access:grant_detail", args=[worked_case.grant.pk]))
    assert page.status_code == 200
    assert_no_government_person(page.content.decode(), "the operator's grant page")


def test_emails_to_the_developer_and_operator_name_the_agency(
    worked_case, submitter, operator, mailoutbox
):
    outside = [m for m in mailoutbox if set(m.to) & {submitter.email, operator.email}]
    assert outside
    for message in outside:
        text = (
            message.subject
            + message.body
            + "".join(str(content) for content, _ in getattr(message, "alternatives", []))
        )
        assert_no_government_person(text, f"the email {message.subject!r}")
    subjects = " | ".join(m.subject for m in outside)
    assert "CAISI asks for information" in subjects
    bodies = " | ".join(m.body for m in outside if submitter.email in m.to)
    assert "From CAISI" in bodies  # the finding
    assert "Issued by CAISI" in bodies  # the recommendation


def test_api_answers_to_the_developer_and_operator_name_no_person(
    client, worked_case, submitter, operator
):
    _, developer_token = AccessToken.create_for(submitter, name="script")
    answer = client.put(
        reverse("api_artifact_put", args=[worked_case.pk, "notes.md"]) + "?kind=other",
        data=b"more notes",
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {developer_token}",
    )
    assert answer.status_code in (201, 409), answer.content
    assert_no_government_person(answer.content.decode(), "the artifact API")

    _, operator_token = AccessToken.create_for(operator, name="cli")
    grants = client.get(reverse("api_grants"), HTTP_AUTHORIZATION=f"Bearer {operator_token}")
    assert grants.status_code == 200
    assert_no_government_person(grants.content.decode(), "the grants API")


def test_the_timeline_reads_every_actor_in_one_query(
    worked_case, submitter, django_assert_num_queries
):
    # The events, then the actors' memberships with their agencies: two queries,
    # however many people acted.
    release_dates.change_release_date(
        actor=submitter,
        case_id=worked_case.pk,
        planned_release_date=worked_case.planned_release_date + timedelta(days=3),
        reason="Later.",
    )
    with django_assert_num_queries(2):  # the events, then the actors
        case_timeline(worked_case, for_developer=True)
