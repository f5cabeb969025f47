"""A developer grants a bank pre-public access; the bank's security team accepts the
terms, downloads the weights and checks their SHA-256; the developer revokes, and the
operator's next download is refused, while the grant stays on the bank's list as revoked.

The bank also reads, on its grant page, the finding the agencies shared with operators,
and downloads its evidence."""

import hashlib
import re
from pathlib import Path

from playwright.sync_api import expect

from access.models import AccessGrant
from portal.accounts.models import Organization
from reviews.models import Finding, Marking
from tests.e2e.conftest import click_sensitive, screenshot, sign_in, tick, understand


def test_grant_download_verify_and_revoke(new_page, fresh_case):
    case = fresh_case
    artifact = case.artifacts.get()
    bank = Organization.objects.get(slug="first-harbor-bank")

    developer = new_page()
    sign_in(developer, "submitter")
    developer.goto(f"/cases/{case.pk}/")
    developer.locator(".usa-sidenav").get_by_role("link", name="Operator access").click()
    expect(developer.locator('.usa-sidenav [aria-current="page"]')).to_have_text("Operator access")
    developer.go_back()  # the back button returns to the overview
    expect(developer.locator('.usa-sidenav [aria-current="page"]')).to_have_text("Overview")
    developer.go_forward()
    expect(developer).to_have_url(re.compile(rf"/cases/{case.pk}/access/$"))
    grant_form = developer.locator("form", has=developer.get_by_role("button", name="Grant access"))

    def choose_bank(form):
        form.get_by_label("Operator").select_option(str(bank.pk))
        tick(form, "All artifacts, including later versions")

    click_sensitive(developer, "Grant access", scope=grant_form, fill=choose_bank)
    grant = AccessGrant.objects.get(case=case, operator=bank)
    assert grant.status == AccessGrant.Status.ACTIVE

    operator = new_page()
    sign_in(operator, "operator")
    screenshot(operator, "operator-granted-models")
    operator.goto(f"/access/grants/{grant.pk}/")
    operator.get_by_role("link", name="terms of pre-public access").click()
    tick(operator, "I have read these terms and accept them.")
    operator.get_by_role("button", name="Accept version").click()
    operator.wait_for_load_state()

    operator.goto(f"/access/grants/{grant.pk}/")
    link = operator.get_by_role("link", name=f"Download {artifact.original_name}")
    download_url = link.get_attribute("href")
    with operator.expect_download() as event:
        link.click()
    download = event.value
    assert download.failure() is None
    content = Path(download.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == artifact.sha256
    expect(operator.get_by_text(artifact.sha256)).to_be_visible()

    developer.goto(f"/cases/{case.pk}/access/")
    revoke_form = developer.locator(f"form[action$='/grants/{grant.pk}/revoke']")

    def give_reason(form):
        developer.locator("summary", has_text="Revoke").click()  # opens the <details>
        form.get_by_label("Reason").fill("The bank's evaluation is finished.")
        understand(form)

    click_sensitive(developer, "Revoke access", scope=revoke_form, fill=give_reason)
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.REVOKED

    response = operator.request.get(download_url)
    assert response.status == 404
    assert "was revoked on" in response.text()
    operator.goto("/access/granted/")
    closed = operator.locator(f"#closed-grant-{grant.pk}")
    expect(closed).to_contain_text("Revoked on")
    expect(closed).to_contain_text("The bank's evaluation is finished.")
    expect(operator.locator(f"a[href='{download_url}']")).to_have_count(0)
    closed.get_by_role("link", name=case.title).click()
    expect(operator.locator("#closed-state")).to_contain_text("Revoked on")
    expect(operator.get_by_role("link", name=f"Download {artifact.original_name}")).to_have_count(0)


def test_the_bank_reads_the_finding_shared_with_operators(new_page):
    grant = AccessGrant.objects.get(
        operator__slug="first-harbor-bank", case__model_name="Aurora", case__model_version="2.0"
    )
    finding = Finding.objects.get(case=grant.case, marking=Marking.OPERATORS)
    evidence = finding.evidence.get()

    operator = new_page()
    sign_in(operator, "operator")
    operator.get_by_role("link", name=grant.case.title).first.click()
    operator.wait_for_load_state()
    shared = operator.locator(f"#finding-{finding.pk}")
    expect(shared.get_by_role("heading", name=finding.title)).to_be_visible()
    expect(shared).to_contain_text(finding.get_severity_display())
    expect(shared).to_contain_text(finding.description)
    expect(shared).to_contain_text("shared by CAISI")
    for other in Finding.objects.filter(case=grant.case).exclude(marking=Marking.OPERATORS):
        expect(operator.get_by_text(other.title)).to_have_count(0)
    operator.locator("#operator-findings-heading").scroll_into_view_if_needed()
    screenshot(operator, "operator-grant-shared-finding")
    with operator.expect_download() as event:
        shared.get_by_role("link", name=evidence.original_name).click()
    content = Path(event.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == evidence.sha256


def test_the_bank_reads_the_recommendation_part_for_operators(new_page):
    grant = AccessGrant.objects.get(
        operator__slug="first-harbor-bank",
        case__model_name="Tessellate",
        case__model_version="2.5",
    )
    recommendation = grant.case.recommendation

    operator = new_page()
    sign_in(operator, "operator")
    operator.goto(f"/access/grants/{grant.pk}/")
    section = operator.locator("#recommendation")
    expect(section.get_by_role("heading", name="Recommendation")).to_be_visible()
    expect(section).to_contain_text(recommendation.for_operators)
    expect(section).to_contain_text("by CAISI, the lead agency")
    # What was written for the developer is not the operators' to read.
    expect(operator.get_by_text(recommendation.summary)).to_have_count(0)
