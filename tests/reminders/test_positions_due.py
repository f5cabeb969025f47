"""The participants' response deadline: each agency without a position is reminded before
it, once per threshold; the lead hears once when it has passed. Nobody is reminded of a
position already recorded, a recommendation already issued, or a deadline moved away.
"""

from datetime import timedelta

import pytest

from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.core.days import day_count
from reviews.services import positions as position_services
from reviews.services import recommendations as recommendation_services
from tests.reminders.conftest import claimed, on, sweep, today

DUE = 10  # days from today


@pytest.fixture
def joint_case(case_in, coordinator, nsa, nsa_coordinator):  # noqa: F811
    """In review at CAISI (the lead), routed to NSA, a draft, positions due in 10 days."""
    case = case_in(CaseStatus.IN_REVIEW)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    recommendation_services.draft_recommendation(
        actor=coordinator, case_id=case.pk, outcome="no_concerns", summary="No concerns found."
    )
    position_services.set_response_deadline(
        actor=coordinator, case_id=case.pk, deadline=today() + timedelta(DUE)
    )
    case.refresh_from_db()
    return case


def deadline():
    return today() + timedelta(DUE)


def test_the_participant_is_reminded_at_7_and_2_days_once_each(joint_case, nsa_coordinator):
    assert sweep(on(deadline() - timedelta(8))).counts["position_due"] == 0
    for days in (7, 2):
        result = sweep(on(deadline() - timedelta(days)))
        assert result.counts["position_due"] == 1, days
        # NSA's coordinator only: the lead owes no position.
        assert result.notified == [
            (
                "nsa-coordinator",
                f"NSA's position on {joint_case.number} is due in {day_count(days)}",
            )
        ]
        assert sweep(on(deadline() - timedelta(days))).reminders == 0
        assert sweep(on(deadline() - timedelta(days) + timedelta(hours=5))).reminders == 0
    assert claimed("position_due") == ["due-2", "due-7"]


def test_a_recorded_position_stops_the_reminders(joint_case, nsa_coordinator):
    position_services.record_position(
        actor=nsa_coordinator, case_id=joint_case.pk, stance="concur", text="", marking="developer"
    )

    assert sweep(on(deadline() - timedelta(7))).counts["position_due"] == 0
    assert sweep(on(deadline() + timedelta(1))).counts["positions_deadline_passed"] == 0


def test_the_lead_hears_once_when_the_deadline_has_passed(joint_case, coordinator):
    assert sweep(on(deadline())).counts["positions_deadline_passed"] == 0

    result = sweep(on(deadline() + timedelta(1)))

    assert result.counts["positions_deadline_passed"] == 1
    assert result.notified == [
        (
            "coordinator",
            f"The deadline for positions on {joint_case.number} has passed: "
            "the recommendation can be issued",
        )
    ]
    assert sweep(on(deadline() + timedelta(3))).reminders == 0
    assert claimed("positions_deadline_passed") == ["passed"]


def test_a_moved_deadline_arms_the_reminders_again(joint_case, coordinator):
    assert sweep(on(deadline() - timedelta(7))).counts["position_due"] == 1
    position_services.set_response_deadline(
        actor=coordinator, case_id=joint_case.pk, deadline=deadline() + timedelta(5)
    )

    result = sweep(on(deadline() - timedelta(2)))  # now 7 days before the new one

    assert result.counts["position_due"] == 1
    assert claimed("position_due") == ["due-7", "due-7"]


def test_nothing_after_issue(joint_case, coordinator, nsa_coordinator):
    position_services.record_position(
        actor=nsa_coordinator, case_id=joint_case.pk, stance="concur", text=""
    )
    recommendation_services.issue_recommendation(actor=coordinator, case_id=joint_case.pk)
    assert sweep(on(deadline() - timedelta(2))).reminders == 0
    assert sweep(on(deadline() + timedelta(2))).reminders == 0


def test_a_reminder_found_before_the_position_is_not_sent_after_it(joint_case, nsa_coordinator):
    from portal.notifications.sweep import send_once
    from reviews.reminders import positions_due

    [reminder] = list(positions_due(on(deadline() - timedelta(7))))
    position_services.record_position(
        actor=nsa_coordinator, case_id=joint_case.pk, stance="concur", text=""
    )

    assert send_once(reminder) is False
    assert claimed("position_due") == []
