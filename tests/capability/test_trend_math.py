"""The trend rule on synthetic series: deterministic, no database.

Each series is a history of results, one a month unless said otherwise; every
result is judged against the frontier points before it, as the portal does at
submission (``portal.capability.frontier.frontier_history`` does the same in SQL).
"""

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.capability import trend
from portal.capability.trend import LINEAR, LOG, LOGIT, Scale, TrendStatus

START = datetime(2025, 1, 1, tzinfo=UTC)
OPEN = Scale(kind=LOG, higher_is_better=True)
PERCENT = Scale(kind=LOGIT, higher_is_better=True, low=0, high=100)
ERRORS = Scale(kind=LOG, higher_is_better=False)  # lower is better


def month(m: float) -> datetime:
    return START + timedelta(seconds=m * trend.SECONDS_PER_MONTH)


def score(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def judge_last(scale, series, *, window=24, sigmas=2.0, min_points=4):
    """Judge the last (month, value) of ``series`` against the ones before it."""
    *history, (at, value) = series
    cutoff = month(at) - timedelta(seconds=window * trend.SECONDS_PER_MONTH)
    earlier = [(month(m), score(v)) for m, v in history if month(m) < month(at)]
    outside = [s for moment, s in earlier if moment < cutoff]
    best_before = None
    if outside:
        best_before = max(outside) if scale.higher_is_better else min(outside)
    points = trend.frontier_points(
        [(moment, s) for moment, s in earlier if moment >= cutoff],
        higher_is_better=scale.higher_is_better,
        best_before=best_before,
    )
    frontier = points[-1][1] if points else best_before
    new = score(value)
    beats = frontier is not None and (new > frontier if scale.higher_is_better else new < frontier)
    return trend.judge(
        scale,
        points,
        at=month(at),
        score=new,
        beats_frontier=beats,
        sigmas=sigmas,
        min_points=min_points,
    )


def judge_each(scale, series, **settings):
    return [judge_last(scale, series[: i + 1], **settings) for i in range(len(series))]


def exponential(m: float) -> float:
    """An open-ended score doubling every 14 months."""
    return 10 * 2 ** (m / 14)


def logistic(m: float) -> float:
    """A percentage climbing steadily in logit space: 10 % at month 0, about 74 % at month 24."""
    return 100 / (1 + math.exp(-(-2.2 + 0.135 * m)))


@pytest.mark.parametrize(("scale", "curve"), [(OPEN, exponential), (PERCENT, logistic)])
def test_a_steady_trend_gives_no_flags(scale, curve):
    verdicts = judge_each(scale, [(m, curve(m)) for m in range(24)])

    assert not [v for v in verdicts if v.fired]
    # From the fifth result on, there is a trend and every result is on it.
    assert {v.status for v in verdicts[4:]} == {TrendStatus.ON_TREND}
    assert all(abs(v.months_ahead) < 0.5 for v in verdicts[4:])


def test_a_steady_climb_of_4_points_a_quarter_is_on_trend():
    """The climb that trips a 3-point threshold at every step is no jump to the trend rule."""
    linear = Scale(kind=LINEAR, higher_is_better=True)
    verdicts = judge_each(linear, [(3 * q, 20 + 4 * q) for q in range(10)])
    assert not [v for v in verdicts if v.fired]


@pytest.mark.parametrize(("scale", "curve"), [(OPEN, exponential), (PERCENT, logistic)])
def test_a_result_a_year_ahead_is_flagged_about_12_months_ahead(scale, curve):
    series = [(m, curve(m)) for m in range(0, 13)]
    verdict = judge_last(scale, [*series, (13, curve(25))])

    assert verdict.fired
    assert verdict.months_ahead == pytest.approx(12, abs=2)
    assert verdict.predicted == pytest.approx(curve(13), rel=0.01)
    assert verdict.points == 13


def test_a_year_ahead_with_noisy_history_is_still_about_12_months_ahead():
    rng = random.Random(7)
    series = [(m, exponential(m) * math.exp(rng.uniform(-0.02, 0.02))) for m in range(0, 19, 2)]
    verdict = judge_last(OPEN, [*series, (19, exponential(31))])

    assert verdict.fired
    assert verdict.months_ahead == pytest.approx(12, abs=2)


@pytest.mark.parametrize("seed", range(40))
def test_noise_within_one_sigma_gives_no_flags(seed):
    """Scores off the trend by at most one σ (never below the floor σ) are never ahead of it."""
    rng = random.Random(seed)
    sigma = trend.MIN_SIGMA
    series = [(m, exponential(m) * math.exp(rng.uniform(-sigma, sigma))) for m in range(36)]

    verdicts = judge_each(OPEN, series)

    assert not [(m, v.months_ahead) for (m, _), v in zip(series, verdicts, strict=True) if v.fired]


def test_a_lower_is_better_drop_a_year_ahead_is_flagged_and_a_rise_is_not():
    def errors(m):  # an error rate halving every 14 months
        return 40 * 2 ** (-m / 14)

    series = [(m, errors(m)) for m in range(0, 13)]

    drop = judge_last(ERRORS, [*series, (13, errors(25))])
    assert drop.fired
    assert drop.months_ahead == pytest.approx(12, abs=2)
    assert drop.limit < drop.predicted  # better is lower: the limit lies below the trend

    rise = judge_last(ERRORS, [*series, (13, errors(1))])
    assert not rise.fired
    assert rise.months_ahead == pytest.approx(-12, abs=2)  # a year behind


def test_a_lower_is_better_drop_on_a_percentage_is_read_the_right_way():
    def deceptive(m):
        return 100 - logistic(m)

    scale = Scale(kind=LOGIT, higher_is_better=False, low=0, high=100)
    series = [(m, deceptive(m)) for m in range(0, 13)]
    assert judge_last(scale, [*series, (13, deceptive(25))]).fired
    assert not judge_last(scale, [*series, (13, deceptive(13) + 5)]).fired


@pytest.mark.parametrize("earlier", [0, 1, 2, 3])
def test_fewer_than_n_earlier_frontier_points_is_not_enough_history(earlier):
    series = [(m, exponential(m)) for m in range(earlier)]
    verdict = judge_last(OPEN, [*series, (earlier, exponential(earlier + 40))])

    assert verdict.status == TrendStatus.NOT_ENOUGH_HISTORY
    assert (verdict.points, verdict.months_ahead, verdict.fit) == (earlier, None, None)


def test_results_that_set_no_new_best_are_not_frontier_points():
    series = [(0, 10), (1, 12), (2, 11), (3, 11.5), (4, 14), (5, 13)]
    verdict = judge_last(OPEN, [*series, (6, 15)])
    assert (verdict.status, verdict.points) == (TrendStatus.NOT_ENOUGH_HISTORY, 3)


def test_only_the_window_is_fitted():
    # Four years of slow growth, then two of fast: a 24-month window sees the fast trend.
    slow = [(m, 10 * 2 ** (m / 48)) for m in range(0, 48, 3)]
    fast = [(m, slow[-1][1] * 2 ** ((m - 45) / 12)) for m in range(48, 72, 3)]
    history = slow + fast
    on_fast_trend = fast[-1][1] * 2 ** (3 / 12)

    assert not judge_last(OPEN, [*history, (72, on_fast_trend)]).fired
    assert judge_last(OPEN, [*history, (72, on_fast_trend)], window=72).fired


def test_a_result_that_does_not_beat_the_frontier_is_never_ahead():
    series = [(m, exponential(m)) for m in range(0, 12)] + [(12, exponential(40))]
    # Far above the trend, but below the frontier the jump before it set.
    assert not judge_last(OPEN, [*series, (13, exponential(30))]).fired


def test_a_stalled_trend_flags_a_jump_far_ahead():
    series = [(m, 50 + 0.01 * m) for m in range(8)]
    verdict = judge_last(PERCENT, [*series, (8, 80)])
    assert verdict.fired
    assert verdict.fit.slope < 0.01
    # The line barely rises: months ahead is huge, never a small comforting number.
    assert verdict.months_ahead > 100


def test_a_frontier_that_stood_still_in_the_window_has_not_enough_history():
    """Only new bests are frontier points: a stalled frontier leaves the threshold rule alone."""
    series = [(m, 50 + (0.1 if m % 2 else 0)) for m in range(8)]
    verdict = judge_last(PERCENT, [*series, (8, 80)])
    assert (verdict.status, verdict.points) == (TrendStatus.NOT_ENOUGH_HISTORY, 2)


def test_a_falling_fit_has_no_months_ahead():
    line = trend.fit(OPEN, [(month(m), score(v)) for m, v in [(0, 12), (1, 11), (2, 10)]])
    assert line.slope < 0
    assert line.months_ahead(month(3), 20) is None


def test_the_scales_map_scores_to_goodness_and_back():
    for scale, values in [
        (PERCENT, [0.5, 10, 50, 99.5]),
        (OPEN, [0.01, 1, 1500]),
        (ERRORS, [0.2, 3]),
        (Scale(kind=LINEAR, higher_is_better=False), [-3, 0, 7]),
    ]:
        for value in values:
            assert scale.score(scale.goodness(value)) == pytest.approx(value)
    # Better is always up.
    assert ERRORS.goodness(1) > ERRORS.goodness(2)
    assert PERCENT.goodness(60) > PERCENT.goodness(50)
    # The ends of a bounded range do not blow up.
    assert math.isfinite(PERCENT.goodness(0)) and math.isfinite(PERCENT.goodness(100))
