"""The frontier, the previous best and jumps, with numbers worked out by hand.

Every case is submitted through the services on a day the test chooses; the
evaluation stored at submit is what the portal showed the agencies.
"""

from decimal import Decimal

import pytest

from portal.capability import frontier as capability
from portal.cases.models import Benchmark, EvalResult
from portal.cases.services import lifecycle as case_services
from tests.capability.conftest import make_benchmark, reported

D = Decimal


def test_the_first_result_on_a_benchmark_sets_the_frontier_and_is_no_jump(ctf, submit_scores):
    case = submit_scores({ctf: 90})

    result = reported(case, ctf)
    assert result.frontier_before is None
    assert result.previous_best is None
    assert result.is_jump is False
    assert result.evaluated_at is not None
    assert case.capability_jump is False


def test_an_absolute_threshold_needs_more_than_its_points(ctf, submit_scores, other_submitter):
    submit_scores({ctf: 40})
    tie = submit_scores({ctf: 40}, actor=other_submitter)  # equal to the frontier
    at_threshold = submit_scores({ctf: 45}, actor=other_submitter)  # 40 + 5: not more than 5
    over = submit_scores({ctf: "50.0001"})  # frontier is now 45: 5.0001 > 5

    assert (reported(tie, ctf).frontier_before, reported(tie, ctf).is_jump) == (D(40), False)
    assert reported(at_threshold, ctf).frontier_before == D(40)
    assert reported(at_threshold, ctf).is_jump is False
    assert at_threshold.capability_jump is False
    assert reported(over, ctf).frontier_before == D(45)
    assert reported(over, ctf).is_jump is True
    assert over.capability_jump is True


def test_a_relative_threshold_is_a_percentage_of_the_frontier(submit_scores):
    bench = make_benchmark("reasoning", threshold="10", kind=Benchmark.ThresholdKind.RELATIVE)
    submit_scores({bench: 40})
    within = submit_scores({bench: 44})  # 10 % of 40 is 4: exactly 4 is not a jump
    beyond = submit_scores({bench: "48.5"})  # frontier 44, 10 % is 4.4: 4.5 > 4.4

    assert reported(within, bench).is_jump is False
    assert reported(beyond, bench).frontier_before == D(44)
    assert reported(beyond, bench).is_jump is True
    # The same 4.5 points over a frontier of 50 (margin 5) would not be a jump.
    assert capability.is_jump(bench, D("54.5"), D(50)) is False


def test_lower_is_better_works_the_same_way_inverted(submit_scores):
    errors = make_benchmark("error-rate", higher_is_better=False, threshold="3")
    submit_scores({errors: 20})
    worse = submit_scores({errors: 25})  # higher is worse: no jump, the frontier stays 20
    exactly = submit_scores({errors: 17})  # 3 better: not more than 3
    jump = submit_scores({errors: "13.9"})  # frontier 17: 3.1 better

    assert (reported(worse, errors).frontier_before, reported(worse, errors).is_jump) == (
        D(20),
        False,
    )
    assert reported(exactly, errors).frontier_before == D(20)
    assert reported(exactly, errors).is_jump is False
    assert reported(jump, errors).frontier_before == D(17)
    assert reported(jump, errors).is_jump is True


def test_the_frontier_spans_developers_and_the_previous_best_is_the_developers_own(
    ctf, submit_scores, other_submitter
):
    submit_scores({ctf: 50})
    first_of_other = submit_scores({ctf: 30}, actor=other_submitter)
    second_of_other = submit_scores({ctf: 52}, actor=other_submitter)

    assert reported(first_of_other, ctf).frontier_before == D(50)
    assert reported(first_of_other, ctf).previous_best is None
    assert reported(second_of_other, ctf).frontier_before == D(50)
    assert reported(second_of_other, ctf).previous_best == D(30)
    # 22 over its own best, but only 2 over the frontier: no jump.
    assert reported(second_of_other, ctf).is_jump is False


def test_a_withdrawn_case_stops_counting_toward_the_frontier(
    ctf, submit_scores, submitter, other_submitter
):
    submit_scores({ctf: 40})
    withdrawn = submit_scores({ctf: 60}, actor=other_submitter)
    assert reported(withdrawn, ctf).is_jump is True
    case_services.withdraw_case(actor=other_submitter, case_id=withdrawn.pk, reason="Superseded.")

    later = submit_scores({ctf: 50})

    # Measured against 40, as if the withdrawn 60 had never been submitted.
    assert reported(later, ctf).frontier_before == D(40)
    assert reported(later, ctf).is_jump is True
    # The withdrawn case's own evaluation is what the agencies were told: unchanged.
    assert reported(withdrawn, ctf).is_jump is True


def test_drafts_and_government_measured_scores_are_not_on_the_frontier(
    ctf, submit_scores, make_ready_draft, submitter, coordinator
):
    from portal.cases.services.artifacts import set_eval_result

    draft = make_ready_draft(model_version="9.0")
    set_eval_result(actor=submitter, case_id=draft.pk, benchmark=ctf, score=D(99))
    earlier = submit_scores({ctf: 40})
    EvalResult.objects.create(
        case=earlier, benchmark=ctf, score=D(80), source="government", recorded_by=coordinator
    )

    later = submit_scores({ctf: 46})

    assert reported(later, ctf).frontier_before == D(40)
    assert reported(later, ctf).is_jump is True


def test_a_later_submission_does_not_rewrite_an_earlier_evaluation(ctf, submit_scores):
    first = submit_scores({ctf: 40})
    submit_scores({ctf: 70})

    result = reported(first, ctf)
    assert (result.frontier_before, result.is_jump) == (None, False)


@pytest.mark.parametrize(
    ("reported_score", "measured", "discrepancy"),
    [
        ("38.5", "36.5", False),  # 2 apart: not more than the tolerance of 2
        ("38.5", "40.5", False),
        ("38.5", "36.4", True),  # 2.1 apart
        ("38.5", "41", True),
    ],
)
def test_a_discrepancy_is_more_than_the_tolerance_either_way(reported_score, measured, discrepancy):
    bench = Benchmark(slug="b", discrepancy_tolerance=D("2"))
    assert capability.is_discrepancy(bench, D(reported_score), D(measured)) is discrepancy


def test_scores_are_compared_by_benchmark(ctf, submit_scores, coordinator):
    other = make_benchmark("bio-qa", category=Benchmark.Category.CBRN)
    case = submit_scores({ctf: "38.5", other: 20})
    EvalResult.objects.create(
        case=case, benchmark=ctf, score=D("31"), source="government", recorded_by=coordinator
    )

    rows = capability.compare_scores(case.eval_results.select_related("benchmark"))

    assert [(r.benchmark.slug, r.difference, r.discrepancy) for r in rows] == [
        ("bio-qa", None, False),
        ("cyber-ctf", D("-7.5"), True),
    ]
