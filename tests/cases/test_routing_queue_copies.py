"""Routings carry copies of their case's status and due date for the agencies' queues.

The queue is sorted and counted from ``CaseRouting`` alone, so the copies must
follow every change of the case: each transition, each pause and resume of the
clock, a routing added later, and one an administrator adds by hand.
"""

import pytest

from portal.cases.models import CaseRouting, CaseStatus
from portal.cases.services import lifecycle as case_services

pytestmark = pytest.mark.django_db


def copies(case) -> set:
    return set(CaseRouting.objects.filter(case=case).values_list("case_status", "review_due"))


def test_the_copies_follow_the_case_through_its_life(
    ready_draft, move_case, coordinator, nsa, submitter
):
    case = ready_draft
    for step in ["submit", "start_review", "pause", "resume", "issue_recommendation"]:
        move_case(case, step)
        case.refresh_from_db()
        assert copies(case) == {(case.status, case.review_due)}, step
        if step == "start_review":
            case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
            assert CaseRouting.objects.filter(case=case).count() == 2
            assert copies(case) == {(case.status, case.review_due)}
    move_case(case, "release")
    case.refresh_from_db()
    assert copies(case) == {(CaseStatus.RELEASED, case.review_due)}


def test_a_paused_clock_moves_the_copied_due_date(case_in, frozen, submitter, coordinator):
    case = case_in(CaseStatus.IN_REVIEW)
    due_before = case.review_due
    case_services.pause_for_information(actor=coordinator, case_id=case.pk, reason="Which data?")
    frozen.advance(days=3)
    case_services.resume_review(actor=submitter, case_id=case.pk)
    case.refresh_from_db()
    assert case.review_due != due_before
    assert copies(case) == {(case.status, case.review_due)}


def test_a_withdrawn_case_leaves_the_open_queue(case_in, submitter):
    case = case_in(CaseStatus.IN_REVIEW)
    case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Postponed.")
    assert copies(case) == {(CaseStatus.WITHDRAWN, case.review_due)}


def test_a_routing_added_by_hand_takes_the_case_as_it_is(case_in, nsa):
    case = case_in(CaseStatus.IN_REVIEW)
    CaseRouting.objects.filter(case=case, agency=nsa).delete()
    added = CaseRouting.objects.create(case=case, agency=nsa)
    assert (added.case_status, added.review_due) == (case.status, case.review_due)


def test_the_admin_shows_the_copies_read_only(admin_client, case_in):
    from django.urls import reverse

    case = case_in(CaseStatus.IN_REVIEW)
    page = admin_client.get(reverse("admin:cases_submission_change", args=[case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Case status" in body and "Reviewers" in body
    # Shown, never an input: the code keeps them.
    assert 'name="routings-0-case_status"' not in body
    assert 'name="routings-0-reviewers"' not in body
