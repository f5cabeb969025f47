"""A benchmark's scores over time as a server-rendered SVG chart.

No script and no chart library: the geometry is worked out here and drawn by
``templates/portal/frontier_chart.svg`` (autoescaped like any template). The
SVG scales to its container's width (``viewBox``); a page shows the wide
layout on large screens and the narrow one on phones, where its text stays
readable. What it draws:

- a date axis with a tick every 1, 2, 3, 6 or 12 months, and a value axis
  with round ticks and the benchmark's unit;
- the frontier (agencies) or the developer's own best (developers) as a step line;
- the trend fitted to that line's steps over the benchmark's window, with a
  band of K residual deviations either side (``portal.capability.trend``);
- each result it is given as a point, side by side when several share a day; jumps
  ringed and labelled with the case number; withdrawn cases hollow;
  government-measured scores as diamonds.

The table under each chart carries the same numbers for screen readers and
for copying.

A page draws its charts with ``cached_chart``: the rendered SVG is kept in the
cache under a digest of everything it is drawn from (the rows, the totals its
description names, the benchmark's settings, the layout, the time zone and
the template's own source), so a new, corrected or withdrawn score, another
person's narrower view or a changed template is a different key: nothing is
ever invalidated by hand, and a stale chart cannot be served.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from portal.capability import trend
from portal.capability.chart_axes import month_ticks, nice_range, value_ticks
from portal.capability.frontier import better_of
from portal.core.days import local_date

DODGE = 12  # pixels between the points of one day, set side by side
TREND_SAMPLES = 32  # segments of the trend's curve (straight only in its own scale)
TEMPLATE = "portal/frontier_chart.svg"
CACHE_SECONDS = 24 * 3600  # a key never goes stale (see the module's text); this frees memory


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    date_ticks: int
    value_intervals: int
    labels: bool  # jump labels with the case number
    font: int


WIDE = Layout("wide", 960, 420, 84, 24, 28, 52, 8, 5, True, 15)
NARROW = Layout("narrow", 480, 340, 84, 16, 26, 54, 4, 4, True, 18)
SMALL = Layout("small", 480, 240, 60, 12, 14, 36, 4, 3, False, 15)


@dataclass(frozen=True)
class ChartRow:
    """One result: when its case was submitted, its score, and what it was measured against."""

    at: datetime
    score: Decimal
    before: Decimal | None  # the frontier (agencies) or own previous best (developers) before it
    jump: bool
    counted: bool  # False for a withdrawn case: drawn hollow, never moves the line
    label: str
    number: str = ""  # the case number a jump is labelled with
    measured: Decimal | None = None  # the government-measured score of the same case
    rule: str = ""  # which rule fired: threshold, trend, both


@dataclass(frozen=True)
class ChartPoint:
    x: str
    y: str
    jump: bool
    counted: bool
    title: str
    label: str = ""
    label_y: str = ""
    label_anchor: str = "middle"


@dataclass(frozen=True)
class MeasuredPoint:
    diamond: str  # path data
    title: str


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    line_label: str
    layout: Layout = WIDE
    points: list[ChartPoint] = field(default_factory=list)
    measured: list[MeasuredPoint] = field(default_factory=list)
    line: str = ""
    trend_line: str = ""
    trend_band: str = ""
    trend_label: str = ""
    y_ticks: list[tuple[str, str]] = field(default_factory=list)
    x_ticks: list[tuple[str, str, str]] = field(default_factory=list)  # x, anchor, label
    unit: str = ""

    @property
    def id(self) -> str:
        return f"chart-{self.slug}-{self.layout.name}"

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def height(self) -> int:
        return self.layout.height

    @property
    def plot_left(self) -> int:
        return self.layout.left

    @property
    def plot_right(self) -> int:
        return self.layout.width - self.layout.right

    @property
    def plot_top(self) -> int:
        return self.layout.top

    @property
    def plot_bottom(self) -> int:
        return self.layout.height - self.layout.bottom

    @property
    def plot_width(self) -> int:
        return self.plot_right - self.plot_left

    @property
    def plot_height(self) -> int:
        return self.plot_bottom - self.plot_top

    @property
    def empty(self) -> bool:
        return not self.points

    @property
    def center_x(self) -> str:
        return _fmt((self.plot_left + self.plot_right) / 2)

    @property
    def center_y(self) -> str:
        return _fmt((self.plot_top + self.plot_bottom) / 2)

    @property
    def font(self) -> int:
        return self.layout.font

    @property
    def has_jumps(self) -> bool:
        return any(point.jump for point in self.points)

    @property
    def has_withdrawn(self) -> bool:
        return any(not point.counted for point in self.points)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _number(value: Decimal | float) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return format(value.normalize(), "f")


def dodge(xs: list[float], days: list[date], left: float, right: float) -> list[float]:
    """Points of the same day side by side, oldest first, centred on the day, inside the plot.

    On an axis of months, results submitted the same day fall on one spot and
    hide each other; the table under the chart still gives each one's date.
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


def steps_of(benchmark, rows: list[ChartRow]) -> list[Decimal | None]:
    """The best so far after each row: what the step line draws."""
    return [
        better_of(benchmark, row.before, row.score) if row.counted else row.before for row in rows
    ]


def fit_trend(benchmark, rows: list[ChartRow], after: list[Decimal | None]):
    """The trend of the line's own steps in the window before the last result, or None."""
    if not rows:
        return None
    start = rows[-1].at - timedelta(seconds=benchmark.trend_window_months * trend.SECONDS_PER_MONTH)
    points, previous = [], None
    for row, best in zip(rows, after, strict=True):
        if best is not None and best != previous and row.at >= start:
            points.append((row.at, best))
        previous = best if best is not None else previous
    if len(points) < max(benchmark.trend_min_points, 3):
        return None
    return trend.fit(trend.Scale.of(benchmark), points)


def _describe(
    benchmark,
    rows: list[ChartRow],
    line_label: str,
    line,
    results: int | None,
    jumps: int | None,
    *,
    small: bool,
) -> str:
    drawn = len(rows)
    results = drawn if results is None else results
    jumps = sum(row.jump for row in rows) if jumps is None else jumps
    text = f"{results} result{'s' if results != 1 else ''}"
    if jumps:
        text += f", {jumps} capability jump{'s' if jumps != 1 else ''}"
    text += f". The stepped line is the {line_label}."
    if line is not None:
        text += (
            f" The curve is its trend over the last {benchmark.trend_window_months} months,"
            f" the band {_number(benchmark.trend_sigmas)} residual deviations either side."
        )
    if drawn < results:
        text += f" Drawn: the {drawn} that moved the line, were flagged or came last."
        if small:
            return text + " The benchmark's own page lists every value."
    return text + " The table under the chart lists every value."


def build_chart(
    benchmark,
    rows: list[ChartRow],
    *,
    line_label: str,
    layout: Layout = WIDE,
    results: int | None = None,
    jumps: int | None = None,
):
    """Lay out ``rows`` (oldest first): points, the step line, its trend, axes.

    ``results`` and ``jumps`` are the totals when ``rows`` are a selection of
    them (thousands of results); the description says so.
    """
    direction = "higher is better" if benchmark.higher_is_better else "lower is better"
    after = steps_of(benchmark, rows)
    line = fit_trend(benchmark, rows, after)
    chart = Chart(
        slug=benchmark.slug,
        title=f"{benchmark.name}: scores over time ({benchmark.unit}, {direction})",
        description=_describe(
            benchmark, rows, line_label, line, results, jumps, small=layout is SMALL
        ),
        line_label=line_label,
        layout=layout,
        unit=benchmark.unit,
    )
    if not rows:
        return chart
    _Plotter(chart, benchmark, rows, after, line).draw()
    return chart


class _Plotter:
    """Scales and draws one chart's contents."""

    def __init__(self, chart: Chart, benchmark, rows, after, line):
        self.chart, self.benchmark, self.rows, self.after, self.line = (
            chart,
            benchmark,
            rows,
            after,
            line,
        )
        times = [row.at for row in rows]
        first, last = min(times), max(times)
        pad = max((last - first) * 0.04, timedelta(days=15))
        self.first, self.last = first - pad, last + pad
        self.trend_times = []
        if line is not None:
            span = (last - line.start) / TREND_SAMPLES
            self.trend_times = [line.start + span * i for i in range(TREND_SAMPLES + 1)]
        values = [float(row.score) for row in rows]
        values += [float(v) for v in after if v is not None]
        values += [float(row.before) for row in rows if row.before is not None]
        values += [float(row.measured) for row in rows if row.measured is not None]
        values += [line.score_at(moment) for moment in self.trend_times] if line else []
        low, high, self.step = nice_range(min(values), max(values), chart.layout.value_intervals)
        # A bounded benchmark's axis never runs past its range (no −5 on a percentage).
        if benchmark.min_score is not None:
            low = max(low, float(benchmark.min_score))
        if benchmark.max_score is not None:
            high = min(high, float(benchmark.max_score))
        if low >= high:
            low, high, self.step = nice_range(low, low + 1, chart.layout.value_intervals)
        self.low, self.high = low, high

    def x_of(self, moment: datetime) -> float:
        chart = self.chart
        share = (moment - self.first) / (self.last - self.first)
        return chart.plot_left + share * chart.plot_width

    def y_of(self, value: float) -> float:
        chart = self.chart
        return chart.plot_bottom - (value - self.low) / (self.high - self.low) * chart.plot_height

    def y_clamped(self, value: float) -> float:
        return min(max(self.y_of(value), self.chart.plot_top), self.chart.plot_bottom)

    def draw(self) -> None:
        xs = dodge(
            [self.x_of(row.at) for row in self.rows],
            [local_date(row.at) for row in self.rows],
            self.chart.plot_left,
            self.chart.plot_right,
        )
        self.draw_points(xs)
        self.draw_step_line(xs)
        self.draw_trend()
        self.draw_axes()

    def draw_points(self, xs: list[float]) -> None:
        chart, unit = self.chart, self.benchmark.unit
        for row, x in zip(self.rows, xs, strict=True):
            state = f"capability jump ({row.rule})" if row.jump and row.rule else ""
            state = state or ("capability jump" if row.jump else "")
            if not row.counted:
                state = "withdrawn, not counted"
            y = self.y_of(float(row.score))
            label = row.number if row.jump and chart.layout.labels else ""
            label_y = y - 14 if y - 14 > chart.plot_top + 6 else y + 24
            chart.points.append(
                ChartPoint(
                    x=_fmt(x),
                    y=_fmt(y),
                    jump=row.jump,
                    counted=row.counted,
                    title=f"{row.label}: {_number(row.score)} {unit}, {local_date(row.at)}"
                    + (f" — {state}" if state else ""),
                    label=label,
                    label_y=_fmt(label_y),
                    label_anchor=self.anchor_near(x, 60),
                )
            )
            if row.measured is not None:
                my = self.y_of(float(row.measured))
                chart.measured.append(
                    MeasuredPoint(
                        diamond=f"M {_fmt(x)} {_fmt(my - 6)} l 6 6 l -6 6 l -6 -6 Z",
                        title=f"Government-measured on {row.number or row.label}: "
                        f"{_number(row.measured)} {unit}",
                    )
                )

    def draw_step_line(self, xs: list[float]) -> None:
        steps: list[str] = []
        for x, best in zip(xs, self.after, strict=True):
            if best is None:
                continue
            x_text, y_text = _fmt(x), _fmt(self.y_of(float(best)))
            steps.append(f"M {x_text} {y_text}" if not steps else f"H {x_text} V {y_text}")
        if steps:
            steps.append(f"H {_fmt(self.chart.plot_right)}")
            self.chart.line = " ".join(steps)

    def draw_trend(self) -> None:
        line, chart = self.line, self.chart
        if line is None:
            return
        sigmas = float(self.benchmark.trend_sigmas)

        def path(offset: float, moments) -> list[str]:
            return [
                f"{_fmt(self.x_of(m))} {_fmt(self.y_clamped(line.score_at(m, offset)))}"
                for m in moments
            ]

        centre = path(0, self.trend_times)
        chart.trend_line = "M " + " L ".join(centre)
        upper = path(sigmas, self.trend_times)
        lower = path(-sigmas, reversed(self.trend_times))
        chart.trend_band = "M " + " L ".join(upper + lower) + " Z"
        chart.trend_label = (
            f"Trend over {line.points} frontier points since {local_date(line.start)}, "
            f"with a band of {_number(self.benchmark.trend_sigmas)} residual deviations"
        )

    def draw_axes(self) -> None:
        chart = self.chart
        for value in value_ticks(self.low, self.high, self.step):
            if self.low - 1e-9 <= value <= self.high + 1e-9:
                chart.y_ticks.append((_fmt(self.y_of(value)), f"{value:g}"))
        ticks = month_ticks(self.first, self.last, most=chart.layout.date_ticks)
        if len(ticks) < 2:
            # Less than two month boundaries in view: the first and last days themselves.
            days = {local_date(self.rows[0].at): self.rows[0].at}
            days.setdefault(local_date(self.rows[-1].at), self.rows[-1].at)
            ticks = [(moment, str(day)) for day, moment in days.items()]
        chart.x_ticks = [self.date_tick(moment, label) for moment, label in ticks]

    def anchor_near(self, x: float, half: float) -> str:
        """Centred on ``x``, or aligned to it where ``half`` the text would leave the plot."""
        if x < self.chart.plot_left + half:
            return "start"
        if x > self.chart.plot_right - half:
            return "end"
        return "middle"

    def date_tick(self, moment: datetime, label: str) -> tuple[str, str, str]:
        x = self.x_of(moment)
        return _fmt(x), self.anchor_near(x, 40), label


def render_chart(chart: Chart) -> str:
    """The chart's SVG markup on its own."""
    return render_to_string(TEMPLATE, {"chart": chart})


def _cache_key(benchmark, rows: list[ChartRow], **drawn) -> str:
    """A digest of everything a chart is drawn from: same key, same SVG."""
    # The Django backend's template, from the cached loader: its source, read once.
    template = get_template(TEMPLATE).template.source  # type: ignore[attr-defined]
    settings = [
        getattr(benchmark, name)
        for name in (
            "pk",
            "name",
            "slug",
            "unit",
            "higher_is_better",
            "min_score",
            "max_score",
            "trend_window_months",
            "trend_sigmas",
            "trend_min_points",
        )
    ]
    source = repr((template, timezone.get_current_timezone_name(), settings, drawn, rows))
    return "frontier-chart:" + hashlib.sha256(source.encode()).hexdigest()


def cached_chart(
    benchmark,
    rows: list[ChartRow],
    *,
    line_label: str,
    layout: Layout = WIDE,
    results: int | None = None,
    jumps: int | None = None,
) -> SafeString:
    """``build_chart`` rendered, from the cache when the same chart was drawn before."""
    key = _cache_key(
        benchmark, rows, line_label=line_label, layout=layout, results=results, jumps=jumps
    )
    svg = cache.get(key)
    if svg is None:
        chart = build_chart(
            benchmark, rows, line_label=line_label, layout=layout, results=results, jumps=jumps
        )
        svg = render_chart(chart)
        cache.set(key, svg, CACHE_SECONDS)
    # Safe: rendered by the autoescaping template above, so every text in it is escaped.
    return mark_safe(svg)  # noqa: S308
