"""Properties of the trend rule over many generated series (derandomized: the same every run)."""

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.capability import trend
from portal.capability.trend import LINEAR, LOG, Scale

START = datetime(2025, 1, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=60, derandomize=True, deadline=None)


def month(m: float) -> datetime:
    return START + timedelta(seconds=m * trend.SECONDS_PER_MONTH)


def points(values):
    return [(month(m), Decimal(str(round(v, 4)))) for m, v in values]


growth = st.floats(min_value=0.02, max_value=0.3)  # log-units a month
start = st.floats(min_value=1, max_value=1000)
noise = st.lists(st.floats(min_value=-1, max_value=1), min_size=12, max_size=12)


@PROPERTY
@given(growth=growth, start=start, noise=noise)
def test_noise_within_the_floor_sigma_is_never_ahead(growth, start, noise):
    sigma = trend.MIN_SIGMA
    series = [(m, start * math.exp(growth * m + sigma * n)) for m, n in enumerate(noise)]
    scale = Scale(kind=LOG, higher_is_better=True)
    for i in range(4, len(series)):
        history = trend.frontier_points(points(series[:i]), higher_is_better=True)
        at, value = series[i]
        verdict = trend.judge(
            scale,
            history,
            at=month(at),
            score=Decimal(str(round(value, 4))),
            beats_frontier=True,
            sigmas=2,
            min_points=4,
        )
        assert not verdict.fired, (i, verdict)


@PROPERTY
@given(growth=growth, start=start, ahead=st.integers(min_value=3, max_value=36))
def test_a_step_ahead_of_a_steady_trend_is_read_as_that_many_months(growth, start, ahead):
    series = [(m, start * math.exp(growth * m)) for m in range(8)]
    history = points(series)
    value = start * math.exp(growth * (8 + ahead))
    verdict = trend.judge(
        Scale(kind=LOG, higher_is_better=True),
        history,
        at=month(8),
        score=Decimal(str(round(value, 4))),
        beats_frontier=True,
        sigmas=2,
        min_points=4,
    )
    assert verdict.months_ahead == pytest.approx(ahead, abs=0.5)
    # Ahead of trend exactly when the step is more than K·σ in the fit's scale.
    step, limit = growth * ahead, 2 * trend.MIN_SIGMA
    if abs(step - limit) > 0.01 * limit:  # off the knife's edge, where rounding decides
        assert verdict.fired == (step > limit)


@PROPERTY
@given(
    values=st.lists(st.floats(min_value=-50, max_value=50), min_size=6, max_size=10),
    last=st.floats(min_value=-100, max_value=100),
)
def test_lower_is_better_is_the_mirror_of_higher_is_better(values, last):
    """Negating every score and the direction changes no verdict."""
    up = Scale(kind=LINEAR, higher_is_better=True)
    down = Scale(kind=LINEAR, higher_is_better=False)
    series = [(m, v) for m, v in enumerate(values)]
    mirrored = [(m, -v) for m, v in series]
    high = trend.frontier_points(points(series), higher_is_better=True)
    low = trend.frontier_points(points(mirrored), higher_is_better=False)
    at = month(len(values))
    first = trend.judge(
        up,
        high,
        at=at,
        score=Decimal(str(round(last, 4))),
        beats_frontier=True,
        sigmas=2,
        min_points=4,
    )
    second = trend.judge(
        down,
        low,
        at=at,
        score=Decimal(str(round(-last, 4))),
        beats_frontier=True,
        sigmas=2,
        min_points=4,
    )
    assert (first.status, first.points) == (second.status, second.points)
    if first.months_ahead is None:
        assert second.months_ahead is None
    else:
        assert second.months_ahead == pytest.approx(first.months_ahead)
