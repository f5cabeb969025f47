"""ONCD monitors capability jumps: its coordinator sees a jump on a case routed to CAISI
only, opens the benchmark's chart, and asks CAISI to route the case to ONCD; CAISI's
coordinator accepts on the case's workspace, and ONCD's coordinator can open the case."""

from playwright.sync_api import expect

from portal.cases.models import Submission
from tests.e2e.conftest import sign_in


def test_oncd_asks_for_a_jump_case_and_caisi_accepts(new_page):
    aurora = Submission.objects.get(model_name="Aurora", model_version="2.0")
    assert not aurora.routings.filter(agency__acronym="ONCD").exists()

    oncd = new_page()
    sign_in(oncd, "oncd_coordinator")
    oncd.goto("/frontier/")
    expect(oncd.get_by_text("Your agency monitors capability jumps")).to_be_visible()
    oncd.get_by_role("link", name="CyberRange CTF").click()
    chart = oncd.get_by_role("img", name="CyberRange CTF: scores over time")
    expect(chart.locator("g.portal-chart-jump text", has_text=aurora.reference)).to_be_visible()

    # The table shows the case, not a link into it: the review is not ONCD's yet.
    oncd.get_by_text("The table: every result with its exact values").click()
    table = oncd.locator("details.portal-chart-table table")
    expect(table.get_by_role("link", name=aurora.reference, exact=True)).to_have_count(0)
    table.get_by_role("link", name=f"Ask for this case ({aurora.reference})").click()

    expect(oncd.get_by_role("heading", level=1)).to_have_text(
        f"Ask for {aurora.reference} to be routed to ONCD"
    )
    oncd.get_by_label("Reason").fill(
        "A threshold jump on CyberRange CTF; we coordinate the response."
    )
    oncd.get_by_role("button", name="Ask CAISI").click()
    expect(oncd.get_by_text(f"Asked CAISI to route {aurora.reference} to ONCD")).to_be_visible()
    # Back on the chart, the row says it is asked.
    oncd.get_by_text("The table: every result with its exact values").click()
    expect(oncd.get_by_text("Routing asked").first).to_be_visible()

    caisi = new_page()
    sign_in(caisi, "coordinator")
    caisi.goto(f"/reviews/cases/{aurora.pk}/")
    panel = caisi.locator("#routing-requests")
    expect(panel.get_by_text("ONCD asks for this case")).to_be_visible()
    expect(panel.get_by_text("we coordinate the response")).to_be_visible()
    panel.get_by_role("button", name="Accept and route to ONCD").click()
    expect(caisi.get_by_text("Routed the case to ONCD")).to_be_visible()

    oncd.goto(f"/reviews/cases/{aurora.pk}/")
    expect(oncd.get_by_role("heading", level=1)).to_contain_text(aurora.model_name)
