"""The migrations' data steps: percentages get 0–100, earlier evaluations keep their outcome."""

import importlib
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from portal.capability.models import JumpEvaluation
from portal.cases.models import EvalResult
from tests.capability.conftest import make_benchmark

ranges = importlib.import_module("portal.cases.migrations.0007_benchmark_range_and_trend_settings")
evaluations = importlib.import_module("portal.capability.migrations.0001_initial")


def test_percent_benchmarks_get_0_to_100_unless_a_stored_score_lies_outside(submitter, ready_draft):
    percent = make_benchmark("pct", unit="% solved")
    odd = make_benchmark("odd-pct", unit="% of baseline")
    elo = make_benchmark("elo", unit="Elo")
    EvalResult.objects.create(case=ready_draft, benchmark=odd, score=150, recorded_by=submitter)

    ranges.percentages_from_0_to_100(apps, None)

    for benchmark in (percent, odd, elo):
        benchmark.refresh_from_db()
    assert (percent.min_score, percent.max_score) == (0, 100)
    assert (odd.min_score, odd.max_score) == (None, None)  # 150 % is on record: left open
    assert (elo.min_score, elo.max_score) == (None, None)


def test_scores_evaluated_before_the_trend_rule_keep_their_threshold_outcome(
    submitter, ready_draft
):
    bench = make_benchmark("old")
    when = timezone.now()
    EvalResult.objects.create(
        case=ready_draft,
        benchmark=bench,
        score=Decimal(50),
        recorded_by=submitter,
        frontier_before=Decimal(40),
        is_jump=True,
        evaluated_at=when,
    )

    evaluations.record_earlier_evaluations(apps, None)

    [stored] = JumpEvaluation.objects.all()
    assert (stored.rule, stored.threshold_fired, stored.trend_status) == (
        "threshold",
        True,
        "not_evaluated",
    )
    assert (stored.score, stored.frontier_before, stored.evaluated_at) == (50, 40, when)
