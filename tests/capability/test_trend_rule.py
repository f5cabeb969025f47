"""The trend rule at submission: stored beside the threshold rule, alerted with the rule named."""

import math
from decimal import Decimal

import pytest
from django.core import mail

from portal.capability.models import JumpEvaluation
from portal.cases.services import lifecycle as case_services
from portal.notifications.models import Notification
from tests.capability.conftest import make_benchmark, reported

QUARTER = 91


def logistic(m: float) -> float:
    """A percentage climbing steadily in logit space."""
    return round(100 / (1 + math.exp(-(-2.2 + 0.135 * m))), 2)


@pytest.fixture
def percent(db):
    """Bounded 0–100 (fitted in logit space); the threshold rule set out of the way."""
    return make_benchmark(
        "percent-ctf", threshold="60", min_score=Decimal(0), max_score=Decimal(100)
    )


def evaluation(case, benchmark) -> JumpEvaluation:
    return reported(case, benchmark).jump_evaluations.get()


def monthly(submit_scores, benchmark, months, curve=logistic, **fields):
    return [submit_scores({benchmark: curve(m)}, day=30 * m, **fields) for m in months]


def test_a_steady_climb_trips_the_threshold_but_not_the_trend(submit_scores):
    """+4 points a quarter against a 3-point threshold: a jump every time by the old rule only."""
    bench = make_benchmark("steady", threshold="3", min_score=Decimal(0), max_score=Decimal(100))
    cases = [submit_scores({bench: 20 + 4 * q}, day=QUARTER * q) for q in range(8)]

    rules = [evaluation(case, bench).rule for case in cases]
    assert rules == ["", *["threshold"] * 7]
    statuses = [evaluation(case, bench).trend_status for case in cases]
    assert statuses[:4] == ["not_enough_history"] * 4
    assert statuses[4:] == ["on_trend"] * 4


def test_a_result_a_year_ahead_under_the_threshold_is_flagged_by_the_trend(
    percent, submit_scores, coordinator, django_capture_on_commit_callbacks
):
    monthly(submit_scores, percent, range(0, 13))
    with django_capture_on_commit_callbacks(execute=True):
        case = submit_scores({percent: logistic(25)}, day=30 * 13)

    result = reported(case, percent)
    stored = result.jump_evaluations.get()
    assert (result.is_jump, case.capability_jump) == (True, True)
    assert (stored.rule, stored.threshold_fired, stored.trend_status) == ("trend", False, "ahead")
    assert stored.months_ahead == pytest.approx(12, abs=2)
    assert stored.trend_points == 13
    assert stored.trend_scale == "logit"
    assert stored.trend_predicted == pytest.approx(logistic(13), abs=0.5)
    assert (stored.trend_window_months, stored.trend_sigmas, stored.trend_min_points) == (
        24,
        Decimal(2),
        4,
    )

    [alert] = Notification.objects.filter(recipient=coordinator, title__startswith="Capability")
    assert alert.title == f"Capability jump on {case.number}: {percent.name} (trend)"
    assert "Rule fired: trend." in alert.body
    assert "months ahead of trend" in alert.body
    assert "jump threshold" not in alert.body
    assert any("(trend)" in message.subject for message in mail.outbox)


def test_both_rules_firing_is_said(submit_scores):
    bench = make_benchmark("both", threshold="5", min_score=Decimal(0), max_score=Decimal(100))
    monthly(submit_scores, bench, range(0, 13))
    case = submit_scores({bench: logistic(30)}, day=30 * 13)
    assert evaluation(case, bench).rule == "both"


def test_each_result_on_a_steady_trend_is_not_flagged(percent, submit_scores):
    cases = monthly(submit_scores, percent, range(0, 10))
    assert [evaluation(case, percent).rule for case in cases] == [""] * 10
    assert all(abs(evaluation(c, percent).months_ahead) < 1 for c in cases[4:])


def test_fewer_than_n_earlier_frontier_points_says_not_enough_history(percent, submit_scores):
    monthly(submit_scores, percent, range(0, 3))
    case = submit_scores({percent: logistic(20)}, day=30 * 3)

    stored = evaluation(case, percent)
    assert (stored.trend_status, stored.trend_points) == ("not_enough_history", 3)
    assert (stored.months_ahead, stored.trend_predicted, stored.rule) == (None, None, "")


def test_withdrawn_cases_are_not_counted(percent, submit_scores, submitter):
    monthly(submit_scores, percent, range(0, 13))
    withdrawn = submit_scores({percent: logistic(40)}, day=30 * 13)
    case_services.withdraw_case(actor=submitter, case_id=withdrawn.pk, reason="Superseded.")

    # Below the withdrawn score, a year ahead of the trend of the cases that count.
    case = submit_scores({percent: logistic(26)}, day=30 * 14)

    stored = evaluation(case, percent)
    assert stored.frontier_before == Decimal(str(logistic(12)))
    assert stored.trend_points == 13
    assert (stored.rule, stored.trend_status) == ("trend", "ahead")


def test_a_drop_on_a_lower_is_better_benchmark_is_read_the_right_way(submit_scores):
    errors = make_benchmark(
        "errors",
        higher_is_better=False,
        threshold="60",
        min_score=Decimal(0),
        max_score=Decimal(100),
    )

    def falling(m):
        return round(100 - logistic(m), 2)

    monthly(submit_scores, errors, range(0, 13), curve=falling)
    better = submit_scores({errors: falling(25)}, day=30 * 13)
    worse = submit_scores({errors: falling(5)}, day=30 * 14)

    assert evaluation(better, errors).rule == "trend"
    assert evaluation(better, errors).months_ahead == pytest.approx(12, abs=2)
    assert evaluation(worse, errors).rule == ""
    assert evaluation(worse, errors).months_ahead < 0
