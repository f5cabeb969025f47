"""Routings carry copies of their case's status and due date for the agencies' queues.

The queue is sorted and counted from ``CaseRouting`` alone, so the copies must
follow every change of the case: each transition, each pause and resume of the
clock, a routing added later, one an administrator adds by hand, and the writes
that skip ``save()``: ``QuerySet.update``, ``bulk_create``, an admin bulk action.
Database triggers write them; ``check_queue_copies`` finds and repairs a drift.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from reviews.selectors import queue_counts
from tests.conftest import database_triggers
from tests.reviews.fixtures_coordinator import assigned

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


def test_the_database_keeps_the_copies():
    assert "cases_caserouting_copy_case" in database_triggers("cases_caserouting")
    assert "cases_submission_copy_to_routings" in database_triggers("cases_submission")


def test_a_queryset_update_of_cases_moves_the_copies(case_in, coordinator, nsa, caisi):
    case = case_in(CaseStatus.IN_REVIEW)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    later = case.review_due + timedelta(days=30)

    Submission.objects.filter(pk=case.pk).update(status=CaseStatus.INFO_REQUESTED)
    assert copies(case) == {(CaseStatus.INFO_REQUESTED, case.review_due)}
    Submission.objects.filter(pk=case.pk).update(review_due=later)
    assert copies(case) == {(CaseStatus.INFO_REQUESTED, later)}
    Submission.objects.filter(pk=case.pk).update(review_due=None, status=CaseStatus.RELEASED)
    assert copies(case) == {(CaseStatus.RELEASED, None)}
    assert queue_counts(caisi.pk)["open"] == queue_counts(nsa.pk)["open"] == 0


def test_other_cases_routings_are_left_alone(case_in, make_ready_draft, submitter):
    case = case_in(CaseStatus.IN_REVIEW)
    other = case_services.submit_case(actor=submitter, case_id=make_ready_draft().pk)
    other.refresh_from_db()
    Submission.objects.filter(pk=case.pk).update(status=CaseStatus.WITHDRAWN)
    assert copies(other) == {(CaseStatus.SUBMITTED, other.review_due)}


@pytest.mark.urls("tests.queue_admin")
def test_an_admin_bulk_action_on_cases_moves_the_copies(client, platform_admin, case_in, caisi):
    case = case_in(CaseStatus.IN_REVIEW)
    assert queue_counts(caisi.pk)["open"] == 1
    client.force_login(platform_admin)
    response = client.post(
        reverse("queue_admin:cases_submission_changelist"),
        {"action": "mark_withdrawn", "_selected_action": [case.pk]},
    )
    assert response.status_code == 302
    assert copies(case) == {(CaseStatus.WITHDRAWN, case.review_due)}
    assert queue_counts(caisi.pk)["open"] == 0


def test_routings_made_in_bulk_take_the_case_as_it_is(case_in, nsa):
    case = case_in(CaseStatus.IN_REVIEW)
    # Whatever the row says, the case decides.
    CaseRouting.objects.bulk_create(
        [CaseRouting(case=case, agency=nsa, case_status=CaseStatus.DRAFT, reviewers=3)]
    )
    routing = CaseRouting.objects.get(case=case, agency=nsa)
    assert (routing.case_status, routing.review_due) == (case.status, case.review_due)
    assert routing.reviewers == 0


def check(*options) -> str:
    out = StringIO()
    call_command("check_queue_copies", *options, stdout=out)
    return out.getvalue()


def test_check_queue_copies_finds_and_repairs_a_drift(case_in, coordinator, reviewer, nsa):
    case = case_in(CaseStatus.SUBMITTED)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    assigned(coordinator, case, reviewer)
    case.refresh_from_db()
    assert check() == "case status and due date: in step\nactive reviewers: in step\n"

    # Raw SQL on the routings is the one write no trigger follows.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_caserouting SET case_status = 'released', review_due = NULL, "
            "reviewers = 7 WHERE case_id = %s",
            [case.pk],
        )
    with pytest.raises(CommandError, match="4 copies differ from their source") as refused:
        check()
    assert refused.value.returncode == 1

    report = check("--repair")
    assert "case status and due date: 2 routings repaired" in report
    assert "active reviewers: 2 routings repaired" in report
    assert f"{case.reference} → NSA: stored 7, source 0" in report
    assert copies(case) == {(case.status, case.review_due)}
    counts = CaseRouting.objects.filter(case=case).values_list("agency__acronym", "reviewers")
    assert dict(counts) == {"CAISI": 1, "NSA": 0}
    assert check() == "case status and due date: in step\nactive reviewers: in step\n"
