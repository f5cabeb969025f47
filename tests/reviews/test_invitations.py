"""Answering an invitation: the conflict-of-interest attestation, then accept or decline."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.cases.access import REVIEW_CASE
from portal.cases.models import CaseStatus
from portal.notifications.models import Notification
from reviews.models import Assignment
from tests.conftest import Role, make_person
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import accept, invite, messages_of


@pytest.fixture
def invitation(review_case, coordinator, reviewer):
    return invite(coordinator, review_case, reviewer)


def answer(**overrides):
    data = {"decision": "accept", "attest": "on"}
    data.update(overrides)
    return data


def respond_url(assignment):
    return reverse("reviews:assignment_respond", args=[assignment.pk])


def test_the_invited_reviewer_sees_what_they_need_to_judge_conflicts(
    client, invitation, reviewer, review_case
):
    client.force_login(reviewer)
    response = client.get(respond_url(invitation))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Northwind Labs" in content
    assert "Aurora, version 2.0" in content
    assert f"{invitation.due_date:%B} {invitation.due_date.day}, {invitation.due_date.year}" in (
        content
    )
    assert response.context["form"] is not None and not response.context["answered"]


def test_nobody_else_sees_the_invitation(
    client, invitation, coordinator, nsa_reviewer, submitter, outsider, caisi
):
    colleague = make_person("colleague", unit=caisi, role=Role.REVIEWER)
    for person in (coordinator, colleague, nsa_reviewer, submitter, outsider):
        client.force_login(person)
        assert client.get(respond_url(invitation)).status_code == 404, person.username
        assert client.post(respond_url(invitation), answer()).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.INVITED


def test_accepting_opens_the_workspace(client, invitation, reviewer, review_case):
    client.force_login(reviewer)
    response = client.post(respond_url(invitation), answer())
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:workspace", args=[review_case.pk])
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.ACCEPTED
    assert invitation.attested_at is not None and not invitation.declared_conflict
    assert reviewer.has_perm(REVIEW_CASE, review_case)
    assert client.get(response["Location"]).status_code == 200


def test_declining_with_a_reason_tells_the_coordinators(client, invitation, reviewer, coordinator):
    client.force_login(reviewer)
    response = client.post(
        respond_url(invitation), answer(decision="decline", decline_reason="On leave in May.")
    )
    assert response["Location"] == reverse("reviews:my_cases")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == ("declined", "On leave in May.")
    assert Notification.objects.filter(recipient=coordinator, title__contains="declined").exists()


@pytest.mark.parametrize(
    "conflict",
    [
        {"financial_interest": "on"},
        {"recent_employment": "on"},
        {"has_other_conflict": "on", "other_conflict": "My spouse works there."},
    ],
)
def test_declaring_a_conflict_declines_even_when_accepting(
    client, invitation, reviewer, coordinator, review_case, conflict
):
    client.force_login(reviewer)
    response = client.post(respond_url(invitation), answer(decision="accept", **conflict))
    assert response["Location"] == reverse("reviews:my_cases")
    assert any("conflict of interest" in m for m in messages_of(response))
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.DECLINED
    assert invitation.declared_conflict
    assert not reviewer.has_perm(REVIEW_CASE, review_case)
    told = Notification.objects.get(recipient=coordinator, title__contains="declared a conflict")
    # What was declared stays out of the notification.
    assert "spouse" not in told.title + told.body
    assert AuditEvent.objects.filter(action="assignment.conflict_declared").count() == 1
    assert client.get(reverse("reviews:workspace", args=[review_case.pk])).status_code == 404


def test_another_conflict_needs_a_description(client, invitation, reviewer):
    client.force_login(reviewer)
    response = client.post(respond_url(invitation), answer(has_other_conflict="on"))
    assert response.status_code == 400
    assert "other_conflict" in response.context["form"].errors
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.INVITED


def test_the_attestation_must_be_confirmed(client, invitation, reviewer):
    client.force_login(reviewer)
    response = client.post(respond_url(invitation), {"decision": "accept"})
    assert response.status_code == 400
    assert "attest" in response.context["form"].errors
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.INVITED and invitation.attested_at is None


def test_answering_twice_is_refused(client, invitation, reviewer):
    client.force_login(reviewer)
    client.post(respond_url(invitation), answer())
    response = client.post(respond_url(invitation), answer(decision="decline"))
    assert "This invitation was already answered (accepted)." in messages_of(response)
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.ACCEPTED
    page = client.get(respond_url(invitation))
    assert page.context["answered"] and b"You already answered" in page.content
    assert b"Send my answer" not in page.content


def test_a_withdrawn_case_cannot_be_accepted(client, invitation, reviewer, submitter, review_case):
    from portal.cases.services import lifecycle as case_services

    case_services.withdraw_case(actor=submitter, case_id=review_case.pk, reason="Cancelled.")
    client.force_login(reviewer)
    response = client.post(respond_url(invitation), answer())
    assert "The case is withdrawn." in messages_of(response)
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.INVITED


# Completing an assignment.


def test_the_reviewer_completes_their_assignment_and_keeps_reading(
    client, invitation, reviewer, review_case
):
    accept(reviewer, invitation)
    client.force_login(reviewer)
    response = client.post(reverse("reviews:assignment_complete", args=[invitation.pk]))
    assert response["Location"] == reverse("reviews:my_cases")
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.COMPLETED
    assert not reviewer.has_perm(REVIEW_CASE, review_case)
    assert client.get(reverse("reviews:workspace", args=[review_case.pk])).status_code == 200
    again = client.post(reverse("reviews:assignment_complete", args=[invitation.pk]))
    assert "Only an accepted assignment can be completed." in messages_of(again)


def test_only_the_reviewer_completes_through_this_page(
    client, invitation, reviewer, coordinator, nsa_reviewer
):
    accept(reviewer, invitation)
    for person in (coordinator, nsa_reviewer):
        client.force_login(person)
        url = reverse("reviews:assignment_complete", args=[invitation.pk])
        assert client.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.ACCEPTED


def test_another_agencys_coordinator_cannot_complete_a_reviewer(
    invitation, reviewer, nsa_coordinator, coordinator
):
    """complete_assignment checks the coordinator's agency, like remove_assignment does."""
    from reviews.services import assignments as assignment_services
    from reviews.services.base import ReviewActionRefused

    accept(reviewer, invitation)
    with pytest.raises(ReviewActionRefused):
        assignment_services.complete_assignment(actor=nsa_coordinator, assignment_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.ACCEPTED
    assignment_services.complete_assignment(actor=coordinator, assignment_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == Assignment.Status.COMPLETED


def test_the_case_starts_review_when_the_first_reviewer_accepts(
    client, invitation, reviewer, review_case
):
    assert review_case.status == CaseStatus.SUBMITTED
    client.force_login(reviewer)
    client.post(respond_url(invitation), answer())
    review_case.refresh_from_db()
    assert review_case.status == CaseStatus.IN_REVIEW
