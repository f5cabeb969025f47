"""Points submitted the same day sit side by side on the chart instead of on top of each other."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.capability.chart import DODGE, ChartRow, build_chart, dodge
from portal.cases.models import Benchmark

DAY0 = timezone.make_aware(datetime(2026, 1, 5, 9))


def bench():
    return Benchmark(name="CTF", slug="ctf", unit="% solved", higher_is_better=True)


def row(at, score, before=None):
    return ChartRow(
        at=at,
        score=Decimal(score),
        before=None if before is None else Decimal(before),
        jump=False,
        counted=True,
        label="FMR",
    )


def test_same_day_points_with_the_same_score_do_not_overlap():
    rows = [
        row(DAY0, "40"),
        row(DAY0 + timedelta(days=200), "45", "40"),
        row(DAY0 + timedelta(days=200, hours=2), "45", "45"),
        row(DAY0 + timedelta(days=200, hours=3), "45", "45"),
    ]
    chart = build_chart(bench(), rows, line_label="frontier")
    spots = [(float(p.x), float(p.y)) for p in chart.points]
    assert len(set(spots)) == 4
    same_day = sorted(x for x, _ in spots[1:])
    assert [round(b - a, 1) for a, b in zip(same_day, same_day[1:], strict=False)] == [DODGE] * 2
    # Oldest first, left to right, and all inside the plot.
    assert [float(p.x) for p in chart.points[1:]] == same_day
    assert all(chart.plot_left <= x <= chart.plot_right for x, _ in spots)


def test_points_on_different_days_keep_their_place():
    assert dodge([100.0, 300.0], [DAY0.date(), (DAY0 + timedelta(days=1)).date()], 64, 544) == [
        100.0,
        300.0,
    ]


def test_a_crowded_day_at_the_edge_stays_inside_the_plot():
    day = DAY0.date()
    placed = dodge([544.0] * 5, [day] * 5, 64, 544)
    assert placed[-1] == 544.0
    assert placed == sorted(placed) and len(set(placed)) == 5
    many = dodge([300.0] * 100, [day] * 100, 64, 544)
    assert min(many) >= 64 and max(many) <= 544


def test_a_single_day_chart_centres_its_points():
    rows = [row(DAY0, "40"), row(DAY0 + timedelta(hours=1), "40", "40")]
    chart = build_chart(bench(), rows, line_label="frontier")
    xs = [float(p.x) for p in chart.points]
    centre = (chart.plot_left + chart.plot_right) / 2
    assert xs == [centre - DODGE / 2, centre + DODGE / 2]
