"""The trend rule: how far a result is ahead of the frontier's trend over time.

Pure arithmetic on (moment, score) pairs; no database and no numpy. The
method is written out, with a worked example, in ``docs/capability.md``:

1. **Frontier points.** Of the earlier counting results, the ones that set a
   new best (the running best's steps), within the benchmark's window
   (``trend_window_months``, 24 by default) before the result.
2. **Scale.** Each score becomes a "goodness" in which progress is a straight
   line: the logit of its share of the range for a score bounded on both
   sides (a percentage saturates near 0 and 100, its logit does not); the
   logarithm for an open-ended positive score (steady growth by a factor);
   the score itself for an open-ended score that may be zero or negative. On
   a lower-is-better benchmark the goodness is negated, so better is always up.
3. **Fit.** Ordinary least squares of goodness on time in months; the
   residual standard deviation σ (n − 2 degrees of freedom), never less than
   ``MIN_SIGMA`` so that a perfectly straight history does not flag a rounding error.
4. **Verdict.** With fewer than N points (``trend_min_points``, 4) there is
   not enough history. Otherwise the result is *ahead of trend* when its
   goodness exceeds the line's prediction at its date by more than K·σ
   (``trend_sigmas``, 2) and it beats the frontier; it is then
   ``excess / slope`` months ahead (none when the trend is not rising).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

SECONDS_PER_MONTH = 365.2425 / 12 * 86_400
MIN_SIGMA = 0.05  # in goodness units: about 5 % of the score on a log scale
EDGE = 0.001  # a bounded score's share is kept inside [EDGE, 1 − EDGE] before its logit
LOG_FLOOR = 1e-6  # an open-ended score at or below zero is read as this before its logarithm

LOGIT, LOG, LINEAR = "logit", "log", "linear"  # Benchmark.TrendScale values


class TrendStatus:
    """What the trend rule concluded (stored in ``JumpEvaluation.trend_status``)."""

    AHEAD = "ahead"
    ON_TREND = "on_trend"
    NOT_ENOUGH_HISTORY = "not_enough_history"


@dataclass(frozen=True)
class Scale:
    """Scores to goodness and back, for one benchmark."""

    kind: str
    higher_is_better: bool
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, benchmark) -> "Scale":
        return cls(
            kind=benchmark.trend_scale,
            higher_is_better=benchmark.higher_is_better,
            low=None if benchmark.min_score is None else float(benchmark.min_score),
            high=None if benchmark.max_score is None else float(benchmark.max_score),
        )

    def goodness(self, score: float) -> float:
        if self.kind == LOGIT:
            assert self.low is not None and self.high is not None
            share = min(max((score - self.low) / (self.high - self.low), EDGE), 1 - EDGE)
            value = math.log(share / (1 - share))
        elif self.kind == LOG:
            value = math.log(max(score, LOG_FLOOR))
        else:
            value = score
        return value if self.higher_is_better else -value

    def score(self, goodness: float) -> float:
        value = goodness if self.higher_is_better else -goodness
        if self.kind == LOGIT:
            assert self.low is not None and self.high is not None
            share = 1 / (1 + math.exp(-max(min(value, 700), -700)))
            return self.low + share * (self.high - self.low)
        if self.kind == LOG:
            return math.exp(min(value, 700))
        return value


def months(moment: datetime) -> float:
    return moment.timestamp() / SECONDS_PER_MONTH


@dataclass(frozen=True)
class TrendFit:
    """A straight line of goodness over time in months, with its residual spread."""

    scale: Scale
    intercept: float
    slope: float  # goodness per month
    sigma: float  # residual standard deviation, at least MIN_SIGMA
    points: int
    start: datetime  # the first and last frontier points fitted
    end: datetime

    def predicted(self, moment: datetime) -> float:
        """The line's goodness at ``moment``."""
        return self.intercept + self.slope * months(moment)

    def score_at(self, moment: datetime, sigmas: float = 0.0) -> float:
        """The line's prediction at ``moment`` in the benchmark's unit, ``sigmas`` σ better."""
        return self.scale.score(self.predicted(moment) + sigmas * self.sigma)

    def months_ahead(self, moment: datetime, score: float) -> float | None:
        """How many months later the line reaches ``score``; None if it is not rising."""
        if self.slope <= 0:
            return None
        return (self.scale.goodness(score) - self.predicted(moment)) / self.slope


def frontier_points(
    history: Iterable[tuple[datetime, Decimal]],
    *,
    higher_is_better: bool,
    best_before: Decimal | None = None,
) -> list[tuple[datetime, Decimal]]:
    """The results of ``history`` (oldest first) that set a new best: the running best's steps.

    ``best_before`` is the best before the first of them (from outside the window).
    """
    points = []
    best = best_before
    for moment, score in history:
        if best is None or (score > best if higher_is_better else score < best):
            points.append((moment, score))
            best = score
    return points


def fit(scale: Scale, points: Sequence[tuple[datetime, Decimal]]) -> TrendFit | None:
    """Least squares of goodness on months; None for fewer than three points or one moment."""
    if len(points) < 3:
        return None
    xs = [months(moment) for moment, _score in points]
    ys = [scale.goodness(float(score)) for _moment, score in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    sigma = max(math.sqrt(residuals / (n - 2)), MIN_SIGMA)
    return TrendFit(
        scale=scale,
        intercept=intercept,
        slope=slope,
        sigma=sigma,
        points=n,
        start=points[0][0],
        end=points[-1][0],
    )


@dataclass(frozen=True)
class TrendVerdict:
    status: str
    points: int  # frontier points in the window
    fit: TrendFit | None = None
    months_ahead: float | None = None
    predicted: float | None = None  # the line's score at the result's date
    limit: float | None = None  # the prediction K·σ better: beyond it is ahead of trend

    @property
    def fired(self) -> bool:
        return self.status == TrendStatus.AHEAD


def judge(
    scale: Scale,
    points: Sequence[tuple[datetime, Decimal]],
    *,
    at: datetime,
    score: Decimal,
    beats_frontier: bool,
    sigmas: float,
    min_points: int,
) -> TrendVerdict:
    """The trend rule on a result at ``at`` given the earlier frontier points in the window."""
    line = fit(scale, points) if len(points) >= max(min_points, 3) else None
    if line is None:
        return TrendVerdict(status=TrendStatus.NOT_ENOUGH_HISTORY, points=len(points))
    excess = scale.goodness(float(score)) - line.predicted(at)
    ahead = beats_frontier and excess > sigmas * line.sigma
    return TrendVerdict(
        status=TrendStatus.AHEAD if ahead else TrendStatus.ON_TREND,
        points=len(points),
        fit=line,
        months_ahead=line.months_ahead(at, float(score)),
        predicted=line.score_at(at),
        limit=line.score_at(at, sigmas),
    )
