"""A coordinator reads the frontier: the small charts, then one benchmark's full chart,
its jumps labelled with their cases, and the table opened below it."""

import re

from playwright.sync_api import expect

from portal.cases.models import Submission
from tests.e2e.conftest import screenshot, sign_in


def test_the_coordinator_opens_a_benchmarks_chart_and_its_table(new_page):
    aurora = Submission.objects.get(model_name="Aurora", model_version="2.0")
    page = new_page()
    sign_in(page, "coordinator")
    page.goto("/frontier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Capability frontier")
    # One small chart per benchmark, each a picture with a name.
    expect(page.locator("svg.portal-frontier-chart--small")).to_have_count(6)

    page.get_by_role("link", name="CyberRange CTF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CyberRange CTF")
    chart = page.get_by_role("img", name="CyberRange CTF: scores over time")
    expect(chart).to_be_visible()
    expect(chart.locator("g.portal-chart-jump text", has_text=aurora.reference)).to_be_visible()
    expect(chart.locator("text.portal-chart-date").first).to_have_text(
        re.compile(r"^[A-Z][a-z]{2} \d{4}$")
    )
    expect(chart.locator("path.portal-chart-measured")).not_to_have_count(0)
    page.locator("h1").evaluate("heading => heading.scrollIntoView()")
    page.locator("form.portal-filters").evaluate("form => form.scrollIntoView()")
    screenshot(page, "coordinator-frontier-chart")

    table = page.locator("details.portal-chart-table table")
    expect(table).to_be_hidden()
    page.get_by_text("The table: every result with its exact values").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("link", name=aurora.reference)).to_be_visible()


def test_on_a_phone_the_narrow_chart_shows_instead(new_page):
    page = new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, "coordinator")
    page.goto("/frontier/cyberrange-ctf/")
    expect(page.locator("svg.portal-frontier-chart--narrow")).to_be_visible()
    expect(page.locator("svg.portal-frontier-chart--wide")).to_be_hidden()
