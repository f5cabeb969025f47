"""A benchmark's scores over time as a server-rendered SVG chart.

No script and no chart library: the geometry is worked out here and drawn by
``templates/portal/frontier_chart.svg`` (autoescaped like any template). The
chart is a picture of the table beside it on the Frontier page, which carries
the same numbers for screen readers and for copying.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.template.loader import render_to_string

from portal.capability.frontier import better_of
from portal.core.days import local_date

WIDTH, HEIGHT = 560, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44
NICE_STEPS = (1, 2, 2.5, 5, 10)
DODGE = 12  # pixels between the points of one day, set side by side


@dataclass(frozen=True)
class ChartRow:
    """One result: when its case was submitted, its score, and what it was measured against."""

    at: datetime
    score: Decimal
    before: Decimal | None  # the frontier (agencies) or own previous best (developers) before it
    jump: bool
    counted: bool  # False for a withdrawn case: drawn hollow, never moves the line
    label: str


@dataclass(frozen=True)
class ChartPoint:
    x: str
    y: str
    jump: bool
    counted: bool
    title: str


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    line_label: str
    width: int = WIDTH
    height: int = HEIGHT
    points: list[ChartPoint] = field(default_factory=list)
    line: str = ""
    y_ticks: list[tuple[str, str]] = field(default_factory=list)
    x_labels: list[tuple[str, str, str]] = field(default_factory=list)
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def center_x(self) -> str:
        return _fmt((self.plot_left + self.plot_right) / 2)

    @property
    def center_y(self) -> str:
        return _fmt((self.plot_top + self.plot_bottom) / 2)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _nice_range(low: float, high: float) -> tuple[float, float, float]:
    """Round axis ends and a step of 1, 2, 2.5 or 5 × 10ⁿ, giving about four intervals."""
    if low == high:
        low, high = low - 1, high + 1
    rough = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(n * magnitude for n in NICE_STEPS if n * magnitude >= rough)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def dodge(xs: list[float], days: list[date], left: float, right: float) -> list[float]:
    """Points of the same day side by side, oldest first, centred on the day, inside the plot.

    On an axis of months, results submitted the same day fall on one spot and
    hide each other; the table beside the chart still gives each one's date.
    """
    by_day: dict[date, list[int]] = {}
    for index, day in enumerate(days):
        by_day.setdefault(day, []).append(index)
    placed = list(xs)
    for indexes in by_day.values():
        if len(indexes) < 2:
            continue
        gap = min(DODGE, (right - left) / (len(indexes) - 1))
        span = gap * (len(indexes) - 1)
        centre = sum(xs[i] for i in indexes) / len(indexes)
        start = min(max(centre - span / 2, left), right - span)
        for offset, index in enumerate(indexes):
            placed[index] = start + offset * gap
    return placed


def build_chart(benchmark, rows: list[ChartRow], *, line_label: str) -> Chart:
    """Lay out ``rows`` (oldest first): points, the step line of the best so far, axes."""
    direction = "higher is better" if benchmark.higher_is_better else "lower is better"
    jumps = sum(row.jump for row in rows)
    chart = Chart(
        slug=benchmark.slug,
        title=f"{benchmark.name}: scores over time ({benchmark.unit}, {direction})",
        description=(
            f"{len(rows)} result{'s' if len(rows) != 1 else ''}"
            + (f", {jumps} capability jump{'s' if jumps != 1 else ''}" if jumps else "")
            + f". The line is the {line_label}. The table beside the chart lists every value."
        ),
        line_label=line_label,
    )
    if not rows:
        return chart

    # The best so far after each row: what the step line draws.
    after = []
    for row in rows:
        after.append(better_of(benchmark, row.before, row.score) if row.counted else row.before)
    values = [float(row.score) for row in rows]
    values += [float(v) for v in after if v is not None]
    values += [float(row.before) for row in rows if row.before is not None]
    low, high, step = _nice_range(min(values), max(values))

    times = [row.at.timestamp() for row in rows]
    first, last = min(times), max(times)
    left, right = chart.plot_left, chart.plot_right
    top, bottom = chart.plot_top, chart.plot_bottom

    def x_of(moment: float) -> float:
        if last == first:
            return (left + right) / 2
        return left + (moment - first) / (last - first) * (right - left)

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    xs = dodge(
        [x_of(moment) for moment in times],
        [local_date(row.at) for row in rows],
        left,
        right,
    )
    for row, x in zip(rows, xs, strict=True):
        state = "capability jump" if row.jump else ""
        if not row.counted:
            state = "withdrawn, not counted"
        chart.points.append(
            ChartPoint(
                x=_fmt(x),
                y=_fmt(y_of(float(row.score))),
                jump=row.jump,
                counted=row.counted,
                title=f"{row.label}: {_number(row.score)} {benchmark.unit}, "
                f"{row.at:%Y-%m-%d}" + (f" — {state}" if state else ""),
            )
        )

    steps: list[str] = []
    for x, best in zip(xs, after, strict=True):
        if best is None:
            continue
        x_text, y_text = _fmt(x), _fmt(y_of(float(best)))
        steps.append(f"M {x_text} {y_text}" if not steps else f"H {x_text} V {y_text}")
    if steps:
        steps.append(f"H {_fmt(right)}")
        chart.line = " ".join(steps)

    ticks = round((high - low) / step)
    for index in range(ticks + 1):
        value = low + step * index
        chart.y_ticks.append((_fmt(y_of(value)), f"{value:g}"))
    first_day, last_day = f"{rows[0].at:%Y-%m-%d}", f"{rows[-1].at:%Y-%m-%d}"
    if first_day == last_day:
        chart.x_labels.append((_fmt((left + right) / 2), "middle", first_day))
    else:
        chart.x_labels.append((_fmt(left), "start", first_day))
        chart.x_labels.append((_fmt(right), "end", last_day))
    return chart


def render_chart(chart: Chart) -> str:
    """The chart's SVG markup on its own (the page includes the same template)."""
    return render_to_string("portal/frontier_chart.svg", {"chart": chart})
