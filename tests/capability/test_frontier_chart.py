"""The server-rendered SVG chart: valid markup for no, one and many points."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.capability.chart import ChartRow, build_chart, render_chart
from portal.cases.models import Benchmark

SVG = "{http://www.w3.org/2000/svg}"
DAY0 = timezone.make_aware(datetime(2026, 1, 5, 12))


def bench(higher_is_better=True):
    return Benchmark(
        name="CyberRange <CTF> & co",
        slug="cyberrange",
        unit="% solved",
        higher_is_better=higher_is_better,
    )


def row(day, score, before=None, *, jump=False, counted=True):
    return ChartRow(
        at=DAY0 + timedelta(days=day),
        score=Decimal(str(score)),
        before=None if before is None else Decimal(str(before)),
        jump=jump,
        counted=counted,
        label=f"FMR-2026-{day:04d} Aurora & <Co>",
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
    root = parse(build_chart(bench(), [row(0, 40)], line_label="frontier"))

    [point] = points(root)
    # x: the middle of 64..544; y: 40 on an axis from 39 to 41 (steps of 0.5), 16..236.
    assert (point.get("cx"), point.get("cy")) == ("304.0", "126.0")
    assert point.find(f"{SVG}title").text == "FMR-2026-0000 Aurora & <Co>: 40 % solved, 2026-01-05"
    assert root.find(f"{SVG}path").get("d") == "M 304.0 126.0 H 544.0"


def test_many_points_with_a_jump_and_a_withdrawn_case():
    rows = [
        row(0, 40),
        row(10, 46, before=40, jump=True),
        row(20, 60, before=46, counted=False),  # withdrawn: hollow, does not move the line
        row(30, 43, before=46),
    ]
    chart = build_chart(bench(), rows, line_label="frontier")
    root = parse(chart)

    assert len(points(root)) == 4
    [jump] = root.findall(f"{SVG}g[@class='portal-chart-jump']")
    assert "capability jump" in jump.find(f".//{SVG}title").text
    hollow = [c for c in points(root) if c.get("fill") == "#ffffff"]
    assert len(hollow) == 1 and "withdrawn, not counted" in hollow[0].find(f"{SVG}title").text
    xs = [float(c.get("cx")) for c in points(root)]
    assert xs == sorted(xs) and xs[0] == 64.0 and xs[-1] == 544.0
    # The line steps from 40 up to 46 and stays there (the withdrawn 60 never counts).
    steps = chart.line.split(" V ")
    assert len(steps) == 4
    assert steps[1].split(" H ")[0] == steps[2].split(" H ")[0] == steps[3].split(" H ")[0]
    # Round ticks: 40 to 60 in steps of 5.
    assert [label for _, label in chart.y_ticks] == ["40", "45", "50", "55", "60"]
    assert [t.text for t in root.iter(f"{SVG}text")][-2:] == ["2026-01-05", "2026-02-04"]
    # Each tick label sits on its gridline.
    assert chart.y_ticks[0][0] == "236.0" and chart.y_ticks[-1][0] == "16.0"


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
