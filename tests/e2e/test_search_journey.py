"""Search from the header as three roles: each finds only what they may see.

A coordinator finds a case by model name and a finding by title; a developer
finds their own case but not another developer's; an operator finds the models
granted to their bank, each linking to its grant (operators reach their models
through their grants, not through cases), and nothing else."""

from playwright.sync_api import expect

from access.models import AccessGrant
from portal.cases.models import Submission
from tests.e2e.conftest import sign_in


def search(page, words):
    box = page.get_by_role("searchbox", name="Search by case number, model or developer")
    box.fill(words)
    box.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()


def test_search_finds_only_what_each_role_may_see(new_page, demo):
    tessellate = Submission.objects.get(model_name="Tessellate", model_version="3.0")
    aurora = Submission.objects.get(model_name="Aurora", model_version="2.0")

    coordinator = new_page()
    sign_in(coordinator, "coordinator")
    search(coordinator, "tessellate")
    cases = coordinator.get_by_role("table", name="Cases matching your search")
    expect(cases.get_by_role("link", name=tessellate.number)).to_be_visible()
    search(coordinator, "sandbox escape")
    findings = coordinator.get_by_role("table", name="Findings matching your search")
    expect(findings).to_contain_text("Sandbox escape in agentic coding tasks")
    expect(coordinator.get_by_text("1 finding match")).to_be_visible()

    developer = new_page()
    sign_in(developer, "submitter")
    search(developer, aurora.number)
    mine = developer.get_by_role("table", name="Cases matching your search")
    expect(mine.get_by_role("link", name=aurora.number)).to_be_visible()
    search(developer, "tessellate")
    expect(developer.get_by_text("0 cases match")).to_be_visible()
    expect(developer.get_by_role("table", name="Cases matching your search")).to_have_count(0)
    # No findings section for developers: a finding's title never shows up in search.
    search(developer, "refusal gaps")
    expect(developer.get_by_role("heading", name="Findings")).to_have_count(0)
    expect(developer.locator("main")).not_to_contain_text("Refusal gaps in chemistry")

    operator = new_page()
    sign_in(operator, "operator")
    grant = AccessGrant.objects.get(case=aurora, operator__slug="first-harbor-bank")
    for words in ("aurora", aurora.number):
        search(operator, words)
        granted = operator.get_by_role("table", name="Granted models matching your search")
        expect(granted.get_by_role("link", name=aurora.number)).to_have_attribute(
            "href", f"/access/grants/{grant.pk}/"
        )
        expect(operator.get_by_text("0 cases match")).to_have_count(0)
    # Tessellate 3.0 is no grant of the bank's (its Tessellate 2.5 grant is), nor a finding.
    for words in ("3.0", "phishing"):
        search(operator, words)
        expect(operator.get_by_text("0 granted models match")).to_be_visible()
        expect(operator.locator("main")).not_to_contain_text("Phishing content generation")
        expect(operator.locator("main table")).to_have_count(0)
