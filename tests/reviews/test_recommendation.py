"""The recommendation: the lead drafts, a coordinator issues, the developer reads it
only once issued, and may then release (the framework is voluntary)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus
from reviews.models import Assignment, Recommendation
from reviews.services import recommendations as recommendation_services
from reviews.services.base import ReviewActionRefused
from reviews.views.requests import ISSUE_UNDERSTOOD
from tests.reviews.fixtures_requests import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_requests import (
    accept,
    actions,
    ask,
    case_url,
    mails_to,
    messages_of,
    notified,
    review_panel,
)

SUMMARY = "Strong cyber-offense uplift on the CTF range; no CBRN uplift found."
CONDITIONS = "Keep the code-execution tool behind the enterprise tier for 60 days."


def draft_form(outcome="mitigations", summary=SUMMARY, conditions=CONDITIONS) -> dict:
    return {
        "recommendation-outcome": outcome,
        "recommendation-summary": summary,
        "recommendation-conditions": conditions,
    }


def draft(client, case, **fields):
    return client.post(
        reverse("reviews:recommendation_draft", args=[case.pk]), draft_form(**fields), follow=True
    )


def recommendation_url(case) -> str:
    return reverse("reviews:case_recommendation", args=[case.pk])


def issue(client, case, understood=True):
    """Issue through the workspace form, its "I understand" box ticked or not."""
    return client.post(
        reverse("reviews:recommendation_issue", args=[case.pk]),
        {"understood": "on"} if understood else {},
        follow=True,
    )


def drafted(lead, case, outcome="mitigations") -> Recommendation:
    return recommendation_services.draft_recommendation(
        actor=lead, case_id=case.pk, outcome=outcome, summary=SUMMARY, conditions=CONDITIONS
    )


# --- drafting -----------------------------------------------------------------------------


def test_the_lead_drafts_and_the_coordinator_is_told(
    client,
    lead,
    coordinator,
    submitter,
    case_in_review,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = draft(client, case_in_review)

    assert any("draft saved" in m for m in messages_of(response))
    recommendation = Recommendation.objects.get(case=case_in_review)
    assert (recommendation.outcome, recommendation.summary, recommendation.conditions) == (
        "mitigations",
        SUMMARY,
        CONDITIONS,
    )
    assert recommendation.drafted_by == lead
    assert not recommendation.is_issued
    assert actions(case_in_review)[-1] == "recommendation.drafted"
    assert notified(coordinator, "drafted")
    assert mails_to(coordinator)
    assert not notified(submitter, "ecommendation")
    assert not mails_to(submitter)


def test_a_draft_is_invisible_to_the_developer(client, lead, submitter, case_in_review):
    drafted(lead, case_in_review)
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    assert review_panel(response)["recommendation"] is None
    page = response.content.decode()
    assert SUMMARY not in page
    assert CONDITIONS not in page
    assert "Concerns with mitigations" not in page


def test_the_lead_changes_the_draft(client, lead, case_in_review):
    drafted(lead, case_in_review)
    client.force_login(lead)

    draft(client, case_in_review, outcome="delay", summary="Delay: more testing needed.")

    recommendation = Recommendation.objects.get()
    assert (recommendation.outcome, recommendation.summary) == (
        "delay",
        "Delay: more testing needed.",
    )


@pytest.mark.parametrize("role", [Assignment.Role.REVIEWER, Assignment.Role.OBSERVER])
def test_reviewers_who_are_not_the_lead_cannot_draft(
    client, coordinator, second_reviewer, case_in_review, role
):
    accept(coordinator, second_reviewer, case_in_review, role=role)
    client.force_login(second_reviewer)

    response = draft(client, case_in_review)

    assert recommendation_services.DRAFTERS_ONLY in messages_of(response)
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("persona", ["submitter", "nsa_coordinator", "operator"])
def test_people_off_the_case_get_404_for_the_draft(client, persona, request, case_in_review):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        reverse("reviews:recommendation_draft", args=[case_in_review.pk]), draft_form()
    )

    assert response.status_code == 404
    assert not Recommendation.objects.exists()


def test_a_draft_needs_an_outcome_and_a_summary(client, lead, case_in_review):
    client.force_login(lead)

    response = draft(client, case_in_review, outcome="ban")

    assert any(m.startswith("Outcome:") for m in messages_of(response))
    response = draft(client, case_in_review, summary="  ")
    assert "Summary: This field is required." in messages_of(response)
    assert not Recommendation.objects.exists()


# --- issuing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        ("no_concerns", "No concerns"),
        ("mitigations", "Concerns with mitigations"),
        ("delay", "Recommend delaying release"),
    ],
)
def test_the_coordinator_issues_and_the_developer_reads_it(
    client,
    lead,
    coordinator,
    submitter,
    org_admin,
    case_in_review,
    outcome,
    label,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    drafted(lead, case_in_review, outcome=outcome)
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = issue(client, case_in_review)

    assert "Recommendation issued. The developer has been told." in messages_of(response)
    recommendation = Recommendation.objects.get()
    assert recommendation.issued_by == coordinator
    assert recommendation.is_issued
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.RECOMMENDATION_ISSUED
    assert actions(case_in_review)[-2:] == ["case.recommendation_issued", "recommendation.issued"]
    for person in (submitter, org_admin):
        assert notified(person, f"Recommendation issued on {case_in_review.number}: {label}")
        assert mails_to(person)

    client.force_login(submitter)
    page = client.get(case_url(case_in_review))
    assert review_panel(page)["recommendation"] == recommendation
    content = page.content.decode()
    assert label in content
    assert SUMMARY in content
    assert CONDITIONS in content
    assert "Recommendation issued" in content


def test_issuing_with_an_open_request_is_refused(client, lead, coordinator, case_in_review):
    drafted(lead, case_in_review)
    ask(lead, case_in_review)
    client.force_login(coordinator)
    before = AuditEvent.objects.count()

    response = issue(client, case_in_review)

    assert "Information requests are open: close or wait for them before issuing." in messages_of(
        response
    )
    assert not Recommendation.objects.get().is_issued
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.INFO_REQUESTED
    assert AuditEvent.objects.count() == before


def test_issuing_needs_the_consequence_understood(client, lead, coordinator, case_in_review):
    drafted(lead, case_in_review)
    client.force_login(coordinator)
    section = reverse("reviews:case_recommendation", args=[case_in_review.pk])
    workspace = client.get(section).content.decode()
    assert 'name="understood"' in workspace
    assert "issuing the recommendation cannot be undone" in workspace
    before = AuditEvent.objects.count()

    response = issue(client, case_in_review, understood=False)

    assert messages_of(response) == [ISSUE_UNDERSTOOD]
    assert not Recommendation.objects.get().is_issued
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW
    assert AuditEvent.objects.count() == before


def test_issuing_without_a_draft_is_refused(client, coordinator, case_in_review):
    client.force_login(coordinator)

    response = issue(client, case_in_review)

    assert "Draft the recommendation before issuing it." in messages_of(response)
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW


def test_issuing_twice_is_refused(lead, coordinator, case_in_review):
    drafted(lead, case_in_review)
    first = recommendation_services.issue_recommendation(
        actor=coordinator, case_id=case_in_review.pk
    )

    with pytest.raises(ReviewActionRefused, match="already issued"):
        recommendation_services.issue_recommendation(actor=coordinator, case_id=case_in_review.pk)
    assert Recommendation.objects.get().issued_at == first.issued_at


@pytest.mark.parametrize("persona", ["lead", "second_reviewer"])
def test_reviewers_cannot_issue(client, persona, request, lead, coordinator, case_in_review):
    accept(coordinator, request.getfixturevalue("second_reviewer"), case_in_review)
    drafted(lead, case_in_review)
    client.force_login(request.getfixturevalue(persona))

    response = issue(client, case_in_review)

    assert "Only a coordinator of the lead agency can do this" in messages_of(response)[0]
    assert not Recommendation.objects.get().is_issued
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW


@pytest.mark.parametrize("persona", ["submitter", "nsa_coordinator", "operator", "outsider"])
def test_people_off_the_case_get_404_for_issuing(client, persona, request, lead, case_in_review):
    drafted(lead, case_in_review)
    client.force_login(request.getfixturevalue(persona))

    assert issue(client, case_in_review).status_code == 404
    assert not Recommendation.objects.get().is_issued


def test_the_draft_is_closed_once_issued(lead, coordinator, case_in_review):
    drafted(lead, case_in_review)
    recommendation_services.issue_recommendation(actor=coordinator, case_id=case_in_review.pk)

    with pytest.raises(ReviewActionRefused, match="recommendation issued"):
        drafted(lead, case_in_review, outcome="no_concerns")
    assert Recommendation.objects.get().outcome == "mitigations"


def test_the_workspace_offers_issue_to_the_coordinator_only(
    client, lead, coordinator, case_in_review
):
    drafted(lead, case_in_review)
    issue_url = reverse("reviews:recommendation_issue", args=[case_in_review.pk])
    client.force_login(coordinator)
    assert issue_url in client.get(recommendation_url(case_in_review)).content.decode()
    client.force_login(lead)
    assert issue_url not in client.get(recommendation_url(case_in_review)).content.decode()


# --- release: nothing blocks it -----------------------------------------------------------


def test_the_developer_releases_even_after_a_recommendation_to_delay(
    client, lead, coordinator, submitter, case_in_review
):
    drafted(lead, case_in_review, outcome="delay")
    recommendation_services.issue_recommendation(actor=coordinator, case_id=case_in_review.pk)
    client.force_login(submitter)

    response = client.post(
        reverse("portal:case_mark_released", args=[case_in_review.pk]),
        {"understood": "on", "released_on": timezone.localdate().isoformat()},
        follow=True,
    )

    assert f"Case marked as released on {timezone.localdate():%B %-d, %Y}." in messages_of(response)
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.RELEASED
