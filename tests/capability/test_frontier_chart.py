"""The server-rendered SVG chart: valid markup for no, one and many points; axes, trend, markers."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.capability.chart import NARROW, WIDE, ChartRow, build_chart, render_chart
from portal.cases.models import Benchmark

SVG = "{http://www.w3.org/2000/svg}"
DAY0 = timezone.make_aware(datetime(2026, 1, 5, 12))


def bench(higher_is_better=True, low=None, high=None):
    return Benchmark(
        name="CyberRange <CTF> & co",
        slug="cyberrange",
        unit="% solved",
        higher_is_better=higher_is_better,
        min_score=None if low is None else Decimal(low),
        max_score=None if high is None else Decimal(high),
    )


def row(day, score, before=None, *, jump=False, counted=True, rule="", measured=None):
    return ChartRow(
        at=DAY0 + timedelta(days=day),
        score=Decimal(str(score)),
        before=None if before is None else Decimal(str(before)),
        jump=jump,
        counted=counted,
        label=f"FMR-2026-{day:04d} Aurora & <Co>",
        number=f"FMR-2026-{day:04d}",
        rule=rule,
        measured=None if measured is None else Decimal(measured),
    )


def parse(chart) -> ET.Element:
    root = ET.fromstring(render_chart(chart))  # noqa: S314 - markup we rendered
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    return root


def points(root):
    return [c for c in root.iter(f"{SVG}circle") if c.get("r") == "5"]


def test_no_points_is_an_empty_chart_that_says_so():
    root = parse(build_chart(bench(), [], line_label="frontier"))

    assert points(root) == []
    assert root.find(f"{SVG}path") is None
    assert "No results yet" in "".join(root.itertext())
    assert root.find(f"{SVG}title").text == (
        "CyberRange <CTF> & co: scores over time (% solved, higher is better)"
    )


def test_one_point_sits_in_the_middle():
    chart = build_chart(bench(), [row(0, 40)], line_label="frontier")
    root = parse(chart)

    [point] = points(root)
    assert point.get("cx") == _mid(chart.plot_left, chart.plot_right)
    assert point.find(f"{SVG}title").text == "FMR-2026-0000 Aurora & <Co>: 40 % solved, 2026-01-05"
    assert chart.line == f"M {point.get('cx')} {point.get('cy')} H {chart.plot_right:.1f}"
    assert chart.trend_line == ""  # one point is no trend


def _mid(low, high):
    return f"{(low + high) / 2:.1f}"


def test_many_points_with_a_jump_and_a_withdrawn_case():
    rows = [
        row(0, 40),
        row(10, 46, before=40, jump=True, rule="threshold"),
        row(20, 60, before=46, counted=False),  # withdrawn: hollow, does not move the line
        row(30, 43, before=46),
    ]
    chart = build_chart(bench(), rows, line_label="frontier")
    root = parse(chart)

    assert len(points(root)) == 4
    [jump] = root.findall(f"{SVG}g[@class='portal-chart-jump']")
    assert "capability jump (threshold)" in jump.find(f".//{SVG}title").text
    assert jump.find(f"{SVG}text").text == "FMR-2026-0010"  # labelled with its case
    hollow = [c for c in points(root) if c.get("fill") == "#ffffff"]
    assert len(hollow) == 1 and "withdrawn, not counted" in hollow[0].find(f"{SVG}title").text
    xs = [float(c.get("cx")) for c in points(root)]
    assert xs == sorted(xs)
    assert chart.plot_left < xs[0] and xs[-1] < chart.plot_right  # a margin of days either side
    # The line steps from 40 up to 46 and stays there (the withdrawn 60 never counts).
    steps = chart.line.split(" V ")
    assert len(steps) == 4
    assert steps[1].split(" H ")[0] == steps[2].split(" H ")[0] == steps[3].split(" H ")[0]
    # Round ticks, never past a bounded range.
    assert [label for _, label in chart.y_ticks] == ["40", "45", "50", "55", "60"]
    # Each tick label sits on its gridline.
    assert chart.y_ticks[0][0] == f"{chart.plot_bottom:.1f}"
    assert chart.y_ticks[-1][0] == f"{chart.plot_top:.1f}"
    # Dates: the month within the span, readable.
    assert [label for _, _, label in chart.x_ticks] == ["Feb 2026"] or len(chart.x_ticks) == 2
    # The unit names the value axis.
    assert root.find(f"{SVG}text[@class='portal-chart-unit']").text == "% solved"


def test_a_year_of_results_gets_month_ticks_and_a_trend_with_its_band():
    rows, best = [], None
    for month in range(12):
        score = 20 + 2 * month
        rows.append(row(30 * month, score, before=best))
        best = score
    chart = build_chart(bench(), rows, line_label="frontier")
    root = parse(chart)

    labels = [
        text.text for text in root.iter(f"{SVG}text") if text.get("class") == "portal-chart-date"
    ]
    # Every other month: at most eight ticks across a year on the wide layout.
    assert labels == ["Jan 2026", "Mar 2026", "May 2026", "Jul 2026", "Sep 2026", "Nov 2026"]
    trend = root.find(f"{SVG}g[@class='portal-chart-trend']")
    band, line = trend.findall(f"{SVG}path")
    assert band.get("d").endswith(" Z") and line.get("d").startswith("M ")
    assert "Trend over 12 frontier points" in trend.find(f"{SVG}title").text
    assert "The curve is its trend over the last 24 months" in chart.description


def test_government_scores_are_diamonds_and_a_percentage_axis_stops_at_100():
    rows = [row(0, "99.2", measured="99.9"), row(1, "99.5", before="99.2")]
    chart = build_chart(bench(low=0, high=100), rows, line_label="frontier")
    root = parse(chart)

    [diamond] = root.findall(f"{SVG}path[@class='portal-chart-measured']")
    assert diamond.find(f"{SVG}title").text == "Government-measured on FMR-2026-0000: 99.9 % solved"
    assert float(chart.y_ticks[-1][1]) == 100  # not 100.5


def test_same_ids_never_repeat_between_the_layouts_of_one_page():
    rows = [row(0, 40)]
    wide = render_chart(build_chart(bench(), rows, line_label="f", layout=WIDE))
    narrow = render_chart(build_chart(bench(), rows, line_label="f", layout=NARROW))
    ids = re.findall(r'\bid="([^"]+)"', wide + narrow)
    assert len(ids) == len(set(ids)) == 6


def test_lower_is_better_draws_the_best_so_far_going_down():
    rows = [row(0, 20), row(5, 25, before=20), row(9, 16, before=20, jump=True)]
    chart = build_chart(bench(higher_is_better=False), rows, line_label="frontier")
    parse(chart)

    assert "lower is better" in chart.title
    # The line stays at 20 past the worse 25, then steps to 16: lower on the axis (larger y).
    ys = [float(part.split(" ")[0]) for part in chart.line.split(" V ")[1:]]
    first_y = float(chart.line.split(" ")[2])
    assert ys[0] == first_y  # 25 is worse: the line stays at 20
    assert ys[1] > first_y
