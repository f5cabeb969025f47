"""The bench harness at smoke size: it seeds, measures, and its query counts hold.

Query counts of the list pages must not grow with the data: the pages are
measured at two sizes and each count compared.
"""

import pytest
from django.core.management import call_command

from portal.bench import pages, seed
from portal.bench.commands import RunBench

pytestmark = pytest.mark.django_db
FRONTIER_PAGES = ("frontier overview", "frontier: one benchmark's chart", "/api/v1/frontier/")


@pytest.fixture(autouse=True)
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "bench-tests-only-password")


def _counts():
    return {result.name: (result.status, result.queries) for result in pages.measure_pages(1)}


def test_page_query_counts_do_not_grow_with_the_data():
    small = seed.Scale("small", 60, 300, 120, 30, 50, 1024, 1, 1)
    seed.seed(small)
    before = _counts()
    assert all(status == 200 for status, _ in before.values()), before
    # Ten times the cases, assignments and findings (a second bulk batch).
    more = seed.Scale("more", 540, 2700, 1080, 30, 50, 1024, 1, 1)
    with_more = seed.BULK_NUMBER_PREFIX
    seed.BULK_NUMBER_PREFIX = "FMR-C"
    try:
        seed.seed(more)
    finally:
        seed.BULK_NUMBER_PREFIX = with_more
    after = _counts()
    assert after == before
    # The frontier pages and their JSON among them, each answering.
    for name in FRONTIER_PAGES:
        assert after[name][0] == 200, name


def test_run_bench_smoke_without_servers(capsys):
    call_command(RunBench(), "--scale", "smoke", "--skip-transfers")
    out = capsys.readouterr().out
    assert "| agency queue | coordinator | 200 |" in out
    for name in FRONTIER_PAGES:
        persona = "token" if name.startswith("/api/") else "coordinator"
        assert f"| {name} | {persona} | 200 |" in out, name
    # Every section of the workspace and of the developer's case page, with its queries.
    for name, _url_name in (*pages.WORKSPACE_SECTIONS, *pages.DEVELOPER_SECTIONS):
        persona = "submitter" if "(developer)" in name else "coordinator"
        assert f"| {name} | {persona} | 200 |" in out, name
    # And those other apps add (portal.core.hooks.case_panel with a section).
    added = pages.added_sections()
    assert {key for _name, _persona, key, _url_name in added} == {"review", "discussion", "access"}
    for name, persona, _key, _url_name in added:
        assert f"| {name} | {persona} | 200 |" in out, name
    assert "| each section of a case (workspace, developer's page) ≤ 4×" in out
    assert "second run (nothing left to send)" in out


def test_the_trivial_view_is_the_baseline_and_is_never_served_by_the_portal(client):
    seed.seed(seed.Scale("tiny", 10, 20, 10, 30, 20, 1024, 1, 1))
    results = pages.measure_pages(1)
    baseline = results[0]
    assert baseline.name == pages.TRIVIAL and baseline.status == 200 and baseline.reference
    assert baseline.ratio == 1.0
    assert [r.name for r in results if r.reference] == [pages.TRIVIAL, "health check (/healthz)"]
    # Only the bench's own URLconf has it; the portal answers 404 (after sign-in).
    assert client.get("/bench/trivial").status_code in (302, 404)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="coordinator"))
    assert client.get("/bench/trivial").status_code == 404
