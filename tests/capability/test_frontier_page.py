"""The Frontier pages and the CSV: who sees what, filters, and a fixed number of queries.

The overview (``FRONTIER``) shows each benchmark as a small chart linking to
its own page (``chart_url``), where the full chart sits above the table.
"""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.cases.models import Benchmark
from tests.capability.conftest import make_benchmark

SVG = "{http://www.w3.org/2000/svg}"
FRONTIER = reverse("portal:frontier")
FRONTIER_CSV = reverse("portal:frontier_csv")


def chart_url(benchmark):
    return reverse("portal:frontier_benchmark", args=[benchmark.slug])


@pytest.fixture
def history(ctf, submit_scores, submitter, other_submitter):
    """Northwind 40, then Meridian 46 (a jump over 40), then Northwind 43."""
    first = submit_scores({ctf: 40}, model_name="Aurora")
    jump = submit_scores({ctf: 46}, actor=other_submitter, model_name="Tessellate")
    third = submit_scores({ctf: 43}, model_name="Aurora")
    return first, jump, third


def svgs(html: str) -> list[ET.Element]:
    """The charts of a page (not the key's little icons)."""
    found = re.findall(r"<svg\b.*?</svg>", html, re.S)
    parsed = [ET.fromstring(svg) for svg in found]  # noqa: S314 - markup we rendered
    return [svg for svg in parsed if "portal-frontier-chart" in svg.get("class", "")]


@pytest.mark.parametrize("persona", ["coordinator", "reviewer", "submitter"])
def test_agency_staff_and_developers_open_the_pages(client, personas, persona, ctf):
    client.force_login(personas[persona])
    for url in (FRONTIER, chart_url(ctf)):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        # No inline script, event handler or style (the CSP allows none); only the layout's file.
        assert all(" src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
        assert not re.search(r"\son[a-z]+=", html)
        assert not re.search(r"\sstyle=", html)


@pytest.mark.parametrize("persona", ["operator", "outsider", "admin"])
def test_operators_and_people_without_a_role_get_403(client, personas, persona, ctf):
    client.force_login(personas[persona])
    assert client.get(FRONTIER).status_code == 403
    assert client.get(chart_url(ctf)).status_code == 403
    assert client.get(FRONTIER_CSV).status_code == 403


def test_an_unknown_benchmark_is_404(client, coordinator, submitter, db):
    for person in (coordinator, submitter):
        client.force_login(person)
        assert client.get("/frontier/no-such-benchmark/").status_code == 404


@pytest.mark.parametrize("url", [FRONTIER, FRONTIER_CSV, "/frontier/cyber-ctf/"])
def test_anonymous_people_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_coordinator_sees_every_routed_case_with_the_frontier_and_the_jump(
    client, coordinator, history
):
    first, jump, third = history
    client.force_login(coordinator)
    overview = client.get(FRONTIER).content.decode()
    assert "1 capability jump shown" in overview
    assert f'href="{chart_url(history[0].eval_results.get().benchmark)}"' in overview
    [small] = [s for s in svgs(overview) if "Cyber Ctf" in s.find(f"{SVG}title").text]
    assert len(small.findall(f".//{SVG}g[@class='portal-chart-jump']")) == 1

    html = client.get(chart_url(jump.eval_results.get().benchmark)).content.decode()
    for case in history:
        assert case.number in html
    assert "Frontier before" in html
    assert html.count(">Capability jump (threshold)</span>") == 1
    assert "1 capability jump shown" in html
    # The full chart twice (wide and narrow layouts), each with the jump ringed and labelled.
    charts = svgs(html)
    assert [c.get("class").split()[-1] for c in charts] == [
        "portal-frontier-chart--wide",
        "portal-frontier-chart--narrow",
    ]
    for chart in charts:
        [ring] = chart.findall(f".//{SVG}g[@class='portal-chart-jump']")
        assert ring.find(f"{SVG}text").text == jump.number
        assert chart.find(f"{SVG}path[@class='portal-chart-frontier']") is not None
    # The table is below the chart, collapsed.
    assert html.index("<details") > html.index("portal-frontier-chart--narrow")
    assert "<details open" not in html


def test_a_reviewer_sees_only_the_cases_assigned_to_them(client, reviewer, history, accept_lead):
    first, jump, third = history
    accept_lead(jump, reviewer)
    client.force_login(reviewer)
    html = client.get(chart_url(jump.eval_results.get().benchmark)).content.decode()

    assert jump.number in html
    assert first.number not in html
    assert third.number not in html


def test_a_developer_sees_only_its_own_history_and_never_the_frontier(client, submitter, history):
    first, jump, third = history
    client.force_login(submitter)
    html = (
        client.get(FRONTIER).content.decode() + client.get("/frontier/cyber-ctf/").content.decode()
    )

    assert first.number in html and third.number in html
    assert jump.number not in html
    assert "Meridian" not in html
    assert "Frontier before" not in html
    assert "Capability jump" not in html
    assert "Your previous best" in html
    assert 'name="developer"' not in html  # no developer filter to pick another's
    assert client.get(FRONTIER_CSV).status_code == 403


def test_filter_by_category_and_developer(client, coordinator, history, other_developer):
    bio = make_benchmark("bio-qa", category=Benchmark.Category.CBRN)
    client.force_login(coordinator)

    html = client.get(FRONTIER, {"category": "cbrn"}).content.decode()
    assert bio.name in html and "Cyber Ctf" not in html

    # The developer filter narrows the overview and is carried to each benchmark's page.
    html = client.get(FRONTIER, {"developer": other_developer.pk}).content.decode()
    assert f"/frontier/cyber-ctf/?developer={other_developer.pk}" in html
    assert "1 result" in html
    html = client.get("/frontier/cyber-ctf/", {"developer": other_developer.pk}).content.decode()
    assert history[1].number in html
    assert history[0].number not in html and history[2].number not in html

    for url in (FRONTIER, "/frontier/cyber-ctf/"):
        response = client.get(url, {"category": "made-up", "developer": "x"})
        assert response.status_code == 200
        assert history[0].number not in response.content.decode()


def test_the_csv_lists_the_frontier_table_for_agency_staff(client, coordinator, history, ctf):
    first, jump, third = history
    client.force_login(coordinator)
    response = client.get(FRONTIER_CSV)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["case"], r["developer_reported_score"], r["frontier_before"]) for r in rows] == [
        (first.number, "40", ""),
        (jump.number, "46", "40"),
        (third.number, "43", "46"),
    ]
    assert [r["capability_jump"] for r in rows] == ["no", "yes", "no"]
    assert rows[1]["gain_over_frontier"] == "6"
    assert rows[2]["gain_over_frontier"] == "-3"


def test_the_csv_never_hands_a_spreadsheet_a_formula(client, coordinator, submit_scores, ctf):
    submit_scores({ctf: 40}, model_name="=HYPERLINK(1)")
    client.force_login(coordinator)
    [row] = list(csv.DictReader(io.StringIO(client.get(FRONTIER_CSV).content.decode())))
    assert row["model"].startswith("'=HYPERLINK")


def count_queries(client, url):
    client.get(url)  # the header's badges are counted once, then cached: count a later request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [FRONTIER, FRONTIER_CSV, "/frontier/cyber-ctf/"])
def test_the_number_of_queries_does_not_grow_with_the_results(
    client, coordinator, ctf, submit_scores, other_submitter, url
):
    bio = make_benchmark("bio-qa", category=Benchmark.Category.CBRN)
    submit_scores({ctf: 40, bio: 10})
    client.force_login(coordinator)
    small = count_queries(client, url)

    for score in range(41, 49):
        submit_scores({ctf: score, bio: score}, actor=other_submitter)
    client.force_login(coordinator)  # the clock moved on by days: a fresh session
    assert count_queries(client, url) == small


@pytest.mark.parametrize(
    "value", ["x" * 20_000, "%" * 5000, "\x00" * 100, "' OR 1=1 --", "9" * 400, "-1", "☃" * 3000]
)
def test_hostile_filters_never_break_a_benchmarks_page(client, coordinator, ctf, value):
    client.force_login(coordinator)
    response = client.get(chart_url(ctf), {"developer": value, "category": value})
    assert response.status_code in (200, 400)


def test_markup_in_a_model_name_stays_text_in_the_charts_and_the_table(
    client, coordinator, ctf, submit_scores
):
    submit_scores({ctf: 40}, model_name="<script>alert(1)</script>")
    submit_scores({ctf: 50}, model_name="<img src=x onerror=alert(1)>")  # a jump: labelled
    client.force_login(coordinator)
    for url in (FRONTIER, chart_url(ctf)):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        for chart in svgs(html):  # still well-formed markup
            assert chart.find(f"{SVG}title") is not None


def test_the_csv_gain_is_the_improvement_in_the_better_direction_and_names_the_rule(
    client, coordinator, submit_scores
):
    errors = make_benchmark("errors", higher_is_better=False, unit="errors")
    submit_scores({errors: 50})
    submit_scores({errors: 40})  # 10 fewer errors: better by 10, a jump (threshold 5)
    submit_scores({errors: 44})  # 4 more than the frontier of 40: worse by 4
    client.force_login(coordinator)
    rows = list(csv.DictReader(io.StringIO(client.get(FRONTIER_CSV).content.decode())))

    assert [r["gain_over_frontier"] for r in rows] == ["", "10", "-4"]
    assert [r["jump_rule"] for r in rows] == ["", "threshold", ""]
    assert {r["trend_status"] for r in rows} == {"not_enough_history"}
    assert {r["months_ahead_of_trend"] for r in rows} == {""}


def test_the_overview_counts_every_result_but_draws_only_the_notable_ones(
    client, coordinator, ctf, submit_scores, monkeypatch
):
    from portal.capability import views

    monkeypatch.setattr(views, "SMALL_CHART_POINTS", 2)
    # Each a new best (moves the line), then two that do not.
    for score in (40, 45, 50, 30, 31):
        submit_scores({ctf: score})
    client.force_login(coordinator)

    html = client.get(FRONTIER).content.decode()

    assert "5 results" in html  # counted in SQL: every result
    # Drawn: the last two that moved the line, and the latest (the line's end).
    assert "Drawn: the 3 that moved the line, were flagged or came last." in html
    assert "frontier 50" in html  # the line's value at its end
    full = client.get(reverse("portal:frontier_benchmark", args=[ctf.slug])).content.decode()
    assert "5 results" in full and "Drawn:" not in full


def test_a_benchmarks_table_comes_in_pages(client, coordinator, ctf, submit_scores, monkeypatch):
    from portal.capability import views

    monkeypatch.setattr(views, "TABLE_PAGE_SIZE", 2)
    cases = [submit_scores({ctf: score}) for score in (40, 45, 50)]
    client.force_login(coordinator)
    url = reverse("portal:frontier_benchmark", args=[ctf.slug])

    first = client.get(url).content.decode()
    second = client.get(url, {"table_page": 2}).content.decode()

    table = re.compile(r"<tbody>(.*?)</tbody>", re.S)
    assert "(3)" in first  # the summary counts every result
    assert cases[0].number in table.search(first).group(1)
    assert cases[2].number not in table.search(first).group(1)
    assert cases[2].number in table.search(second).group(1)
    assert 'id="table" open' in second or "open id" in second
    # A page out of range shows the last one, never an error.
    assert client.get(url, {"table_page": "999"}).status_code == 200


def test_a_benchmarks_chart_draws_a_bounded_selection_and_the_table_every_result(
    client, coordinator, ctf, submit_scores, monkeypatch
):
    from portal.capability import views

    monkeypatch.setattr(views, "FULL_CHART_NOTABLE", 1)
    monkeypatch.setattr(views, "FULL_CHART_RECENT", 2)
    # Three new bests, then three that do not move the line.
    cases = [submit_scores({ctf: score}) for score in (40, 45, 50, 30, 31, 32)]
    client.force_login(coordinator)

    html = client.get(chart_url(ctf)).content.decode()

    # Drawn: the latest new best (50) and the latest two results.
    assert "6 results" in html and "Drawn: the 3 that moved the line" in html
    for chart in svgs(html):
        titles = [
            c.find(f"{SVG}title").text for c in chart.iter(f"{SVG}circle") if c.get("r") == "5"
        ]
        assert [t.split(" ")[0] for t in titles] == [cases[i].number for i in (2, 4, 5)]
    assert "The table under the chart lists every value." in html
    assert "(6)" in html  # the table's summary counts every result
    for case in cases:
        assert case.number in html  # the table (one page of 50) lists each


def test_a_new_score_is_drawn_at_once_though_the_chart_is_cached(
    client, coordinator, ctf, submit_scores
):
    first = submit_scores({ctf: 40})
    client.force_login(coordinator)
    url = chart_url(ctf)

    def points():
        [wide, _narrow] = svgs(client.get(url).content.decode())
        return [c for c in wide.iter(f"{SVG}circle") if c.get("r") == "5"]

    assert len(points()) == 1
    assert len(points()) == 1  # the same chart, from the cache
    second = submit_scores({ctf: 52})  # a jump: ringed
    client.force_login(coordinator)
    assert len(points()) == 2
    html = client.get(url).content.decode()
    assert second.number in html and first.number in html
    assert "1 capability jump shown" in html


@pytest.mark.parametrize("url", [FRONTIER, "/frontier/cyber-ctf/"])
def test_queries_stay_fixed_past_the_charts_bounds(
    client, coordinator, ctf, submit_scores, other_submitter, monkeypatch, url
):
    from portal.capability import views

    for name in ("SMALL_CHART_POINTS", "FULL_CHART_NOTABLE", "FULL_CHART_RECENT"):
        monkeypatch.setattr(views, name, 2)
    submit_scores({ctf: 40})
    client.force_login(coordinator)
    one = count_queries(client, url)

    for score in (41, 52, 30, 53, 31, 70, 32):
        submit_scores({ctf: score}, actor=other_submitter)
    client.force_login(coordinator)
    assert count_queries(client, url) == one
