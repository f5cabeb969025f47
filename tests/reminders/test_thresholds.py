"""The sweep with the clock at each threshold: who is reminded of what, and when not.

Each test builds today's work through the services and sweeps on the days that
matter, as beat would. Recipients are looked up when the reminder goes out.
"""

from datetime import timedelta

from django.utils import timezone

from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.core.days import day_count
from portal.notifications.models import SentReminder
from portal.notifications.sweep import send_once
from reviews.models import Assignment
from reviews.reminders import assignments_due, assignments_overdue
from reviews.services import assignments as assignment_services
from reviews.services import requests as request_services
from tests.conftest import Role, make_person
from tests.reminders.conftest import accept, claimed, invite, on, sweep, today

# --- assignment due --------------------------------------------------------------------


def test_an_assignment_due_soon_reminds_its_reviewer_at_14_7_3_and_1_days(
    assignment, reviewer, coordinator
):
    due = assignment.due_date
    assert sweep(on(due - timedelta(15))).counts["assignment_due"] == 0
    for days in (14, 7, 3, 1):
        result = sweep(on(due - timedelta(days)))
        assert result.counts["assignment_due"] == 1, days
        # Only the reviewer: the coordinator hears only once it is overdue.
        assert result.notified == [
            ("reviewer", f"Your review of {assignment.case.number} is due in {day_count(days)}")
        ]
        between = sweep(on(due - timedelta(days) + timedelta(hours=10)))
        assert between.reminders == 0
    assert sweep(on(due - timedelta(10))).counts["assignment_due"] == 0
    assert claimed("assignment_due") == ["due-1", "due-14", "due-3", "due-7"]


def test_after_missed_sweeps_only_the_nearest_threshold_is_sent(assignment):
    due = assignment.due_date
    # Nothing ran until two days before the due date: no 14- or 7-day reminder now.
    result = sweep(on(due - timedelta(2)))
    assert result.counts["assignment_due"] == 1
    assert result.titles() == {f"Your review of {assignment.case.number} is due in 2 days"}
    assert claimed("assignment_due") == ["due-3"]
    assert sweep(on(due - timedelta(1))).counts["assignment_due"] == 1
    assert claimed("assignment_due") == ["due-1", "due-3"]


def test_an_overdue_assignment_reminds_reviewer_and_coordinators_every_seven_days(
    assignment, reviewer, coordinator, second_reviewer, oncd_coordinator
):
    due = assignment.due_date
    first = sweep(on(due + timedelta(1)))
    assert first.counts == {**first.counts, "assignment_overdue": 1, "assignment_due": 0}
    assert first.recipients() == {"reviewer", "coordinator"}
    assert first.titles() == {f"Review of {assignment.case.number} is 1 day overdue"}
    for day in range(2, 8):
        assert sweep(on(due + timedelta(day))).counts["assignment_overdue"] == 0, day
    week_later = sweep(on(due + timedelta(8)))
    assert week_later.counts["assignment_overdue"] == 1
    assert week_later.recipients() == {"reviewer", "coordinator"}
    assert sweep(on(due + timedelta(14))).counts["assignment_overdue"] == 0
    assert sweep(on(due + timedelta(15))).counts["assignment_overdue"] == 1
    assert claimed("assignment_overdue") == [
        "overdue-week-0",
        "overdue-week-1",
        "overdue-week-2",
    ]


def test_an_overdue_reminder_skips_a_deactivated_reviewer(assignment, reviewer, coordinator):
    reviewer.is_active = False
    reviewer.save()
    result = sweep(on(assignment.due_date + timedelta(1)))
    assert result.recipients() == {"coordinator"}


# --- invitations --------------------------------------------------------------------------


def test_an_invitation_unanswered_for_three_days_reminds_the_coordinators_once(
    case, coordinator, reviewer, nsa_coordinator
):
    assignment = invite(coordinator, case, reviewer, due=today() + timedelta(30))
    invited = assignment.invited_at
    assert sweep(invited + timedelta(days=2, hours=23)).counts["invitation_unanswered"] == 0
    result = sweep(invited + timedelta(days=3, minutes=1))
    assert result.counts["invitation_unanswered"] == 1
    assert result.recipients() == {"coordinator"}
    assert result.titles() == {f"reviewer has not answered the invitation to {case.number}"}
    assert sweep(invited + timedelta(days=5)).counts["invitation_unanswered"] == 0
    assert sweep(invited + timedelta(days=12)).counts["invitation_unanswered"] == 0


def test_an_invitation_answered_before_the_sweep_reminds_nobody(case, coordinator, reviewer):
    accepted = accept(reviewer, invite(coordinator, case, reviewer, due=today() + timedelta(30)))
    other = make_person("other-reviewer", unit=coordinator.membership.agency, role=Role.REVIEWER)
    declined = assignment_services.respond_to_invitation(
        actor=other,
        assignment_id=invite(coordinator, case, other, due=today() + timedelta(30)).pk,
        accept=False,
        financial_interest=False,
        recent_employment=False,
        decline_reason="On leave.",
    )
    assert {accepted.status, declined.status} == {"accepted", "declined"}
    result = sweep(timezone.now() + timedelta(days=4))
    assert result.counts["invitation_unanswered"] == 0
    assert claimed("invitation_unanswered") == []


def test_an_invitation_answered_after_the_sweep_found_it_reminds_nobody(
    case, coordinator, reviewer
):
    from reviews.reminders import invitations_unanswered

    assignment = invite(coordinator, case, reviewer, due=today() + timedelta(30))
    [reminder] = invitations_unanswered(timezone.now() + timedelta(days=4))
    accept(reviewer, assignment)
    assert send_once(reminder) is False
    assert claimed() == []


# --- information requests -----------------------------------------------------------------


def test_an_information_request_reminds_the_developer_at_7_and_2_days_and_when_overdue(
    assignment, reviewer, submitter, org_admin, other_developer
):
    make_person("other-submitter", unit=other_developer, role=Role.SUBMITTER)
    response_due = today() + timedelta(20)
    request_services.open_request(
        actor=reviewer,
        case_id=assignment.case_id,
        question="Which red-team results are final?",
        response_due=response_due,
    )
    number = assignment.case.number
    assert sweep(on(response_due - timedelta(8))).counts["request_due"] == 0
    seven = sweep(on(response_due - timedelta(7)))
    assert seven.counts["request_due"] == 1
    assert seven.recipients() == {"submitter", "orgadmin"}
    assert seven.titles() == {f"The reviewers of {number} expect your answer in 7 days"}
    assert sweep(on(response_due - timedelta(4))).counts["request_due"] == 0
    two = sweep(on(response_due - timedelta(2)))
    assert two.counts["request_due"] == 1
    assert two.recipients() == {"submitter", "orgadmin"}
    assert sweep(on(response_due)).counts["request_due"] == 0
    overdue = sweep(on(response_due + timedelta(1)))
    assert overdue.counts["request_due"] == 1
    assert overdue.titles() == {f"Your answer to the reviewers of {number} is overdue"}
    assert overdue.recipients() == {"submitter", "orgadmin"}
    assert sweep(on(response_due + timedelta(9))).counts["request_due"] == 0
    assert claimed("request_due") == ["due-2", "due-7", "overdue"]


def test_an_answered_request_or_a_withdrawn_case_reminds_nobody(assignment, reviewer, submitter):
    response_due = today() + timedelta(20)
    answered = request_services.open_request(
        actor=reviewer, case_id=assignment.case_id, question="Q1?", response_due=response_due
    )
    request_services.answer_request(actor=submitter, request_id=answered.pk, answer="Final.")
    assert sweep(on(response_due - timedelta(7))).counts["request_due"] == 0
    request_services.open_request(
        actor=reviewer, case_id=assignment.case_id, question="Q2?", response_due=response_due
    )
    case_services.withdraw_case(actor=submitter, case_id=assignment.case_id, reason="Cancelled.")
    assert sweep(on(response_due - timedelta(2))).counts["request_due"] == 0
    assert sweep(on(response_due + timedelta(1))).counts["request_due"] == 0
    # Nor does the reviewer's assignment on the withdrawn case.
    assert sweep(on(assignment.due_date - timedelta(1))).counts["assignment_due"] == 0
    assert sweep(on(assignment.due_date + timedelta(1))).counts["assignment_overdue"] == 0
    assert claimed() == []


# --- the case's review period and the planned release --------------------------------------


def test_a_case_due_soon_reminds_the_routed_agencies_coordinators_at_14_and_3_days(
    case, coordinator, nsa_coordinator, nsa, oncd_coordinator, submitter
):
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    due = case.review_due
    assert sweep(on(due - timedelta(15))).counts["case_due"] == 0
    fourteen = sweep(on(due - timedelta(14)))
    assert fourteen.counts["case_due"] == 1
    assert fourteen.recipients() == {"coordinator", "nsa-coordinator"}
    assert fourteen.titles() == {
        f"The review of {case.number} is due in 14 days, with no recommendation yet"
    }
    assert sweep(on(due - timedelta(5))).counts["case_due"] == 0
    three = sweep(on(due - timedelta(3)))
    assert three.counts["case_due"] == 1
    assert three.recipients() == {"coordinator", "nsa-coordinator"}
    assert sweep(on(due - timedelta(1))).counts["case_due"] == 0
    assert claimed("case_due") == ["due-14", "due-3"]


def test_a_case_with_a_recommendation_issued_reminds_nobody(case, coordinator, move_case):
    due = case.review_due
    assert sweep(on(due - timedelta(14))).counts["case_due"] == 1
    move_case(case, "start_review")
    move_case(case, "issue_recommendation")
    assert sweep(on(due - timedelta(3))).counts["case_due"] == 0
    assert sweep(on(case.planned_release_date - timedelta(7))).counts["release_soon"] == 0
    assert claimed() == ["due-14"]


def test_a_paused_review_clock_is_not_running_out(case, move_case):
    move_case(case, "start_review")
    move_case(case, "pause")
    case.refresh_from_db()
    assert case.status == CaseStatus.INFO_REQUESTED and case.clock_paused
    assert sweep(on(case.review_due - timedelta(3))).counts["case_due"] == 0
    move_case(case, "resume")
    case.refresh_from_db()
    assert sweep(on(case.review_due - timedelta(3))).counts["case_due"] == 1


def test_a_release_within_seven_days_without_a_recommendation_reminds_the_coordinators(
    case, coordinator, submitter, oncd_coordinator
):
    release = case.planned_release_date
    assert sweep(on(release - timedelta(8))).counts["release_soon"] == 0
    result = sweep(on(release - timedelta(7)))
    assert result.counts["release_soon"] == 1
    assert result.recipients() == {"coordinator"}
    assert result.titles() == {
        f"{case.number} is planned for public release in 7 days, with no recommendation issued"
    }
    assert sweep(on(release - timedelta(2))).counts["release_soon"] == 0
    assert claimed("release_soon") == ["release-7"]


# --- recipients are computed when the reminder goes out -------------------------------------


def test_an_assignment_completed_or_removed_after_the_sweep_found_it_reminds_nobody(
    case, coordinator, reviewer, second_reviewer
):
    due = today() + timedelta(30)
    done = accept(reviewer, invite(coordinator, case, reviewer, due=due))
    gone = accept(second_reviewer, invite(coordinator, case, second_reviewer, due=due))
    reminders = list(assignments_due(on(due - timedelta(7))))
    assert {r.subject.pk for r in reminders} == {done.pk, gone.pk}
    assignment_services.complete_assignment(actor=reviewer, assignment_id=done.pk)
    assignment_services.remove_assignment(actor=coordinator, assignment_id=gone.pk)
    assert [send_once(r) for r in reminders] == [False, False]
    # Nothing claimed, and a later sweep finds nothing to do either.
    assert claimed() == []
    assert sweep(on(due - timedelta(7))).reminders == 0
    assert sweep(on(due + timedelta(1))).reminders == 0


def test_a_deactivated_reviewer_gets_nothing_and_the_reminder_is_not_claimed(assignment, reviewer):
    due = assignment.due_date
    reviewer.is_active = False
    reviewer.save()
    result = sweep(on(due - timedelta(7)))
    assert result.counts["assignment_due"] == 0
    assert result.notified == []
    assert SentReminder.objects.count() == 0
    # Unclaimed, so it goes out once somebody is there to read it.
    reviewer.is_active = True
    reviewer.save()
    assert sweep(on(due - timedelta(7))).notified == [
        ("reviewer", f"Your review of {assignment.case.number} is due in 7 days")
    ]


def test_an_overdue_reminder_found_before_the_coordinators_left_claims_nothing(
    assignment, reviewer, coordinator
):
    [reminder] = assignments_overdue(on(assignment.due_date + timedelta(1)))
    reviewer.is_active = False
    reviewer.save()
    coordinator.is_active = False
    coordinator.save()
    assert send_once(reminder) is False
    assert not SentReminder.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).status == "accepted"
