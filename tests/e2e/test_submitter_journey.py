"""A submitter starts a case, uploads an artifact with the progress bar, and submits
on short notice with a reason."""

import datetime
import hashlib

from playwright.sync_api import expect

from portal.cases.models import Submission
from tests.e2e.conftest import screenshot, sign_in

WEIGHTS = b"e2e weights " * 4096


def test_submitter_creates_uploads_and_submits_on_short_notice(new_page, tmp_path):
    page = new_page()
    sign_in(page, "submitter")
    screenshot(page, "submitter-cases")

    page.goto("/cases/new")
    page.get_by_label("Model name").fill("Cirrus")
    page.get_by_label("Model version").fill("0.9-e2e")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cirrus")
    case = Submission.objects.get(model_name="Cirrus", model_version="0.9-e2e")

    # Everything submit needs, with a release 30 days out: short notice.
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_label("Description").fill("A general-purpose assistant model.")
    release = datetime.date.today() + datetime.timedelta(days=30)
    page.get_by_label("Planned public release date").fill(release.isoformat())
    page.get_by_label("Access mode").select_option(index=1)
    page.get_by_label("Deployment notes").fill("API only, to enterprise customers.")
    page.get_by_label("Contact person").select_option(index=1)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cirrus")

    # The upload form is on the Artifacts section. The upload goes through
    # upload.js: record the bar's last value before the page reloads, then read it back after.
    sections = page.get_by_role("navigation", name=f"Sections of {case.reference}")
    sections.get_by_role("link", name="Artifacts").click()
    expect(sections.get_by_role("link", name="Artifacts")).to_have_attribute("aria-current", "page")
    weights = tmp_path / "cirrus-0.9.safetensors"
    weights.write_bytes(WEIGHTS)
    page.get_by_label("Kind of artifact").select_option("weights")
    page.locator("input[type=file][name=file]").set_input_files(weights)
    page.evaluate(
        """() => window.addEventListener("pagehide", () => sessionStorage.setItem(
            "uploadProgress", document.querySelector("#upload-progress").value))"""
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()
    assert page.evaluate("() => sessionStorage.getItem('uploadProgress')") == "100"
    sha256 = hashlib.sha256(WEIGHTS).hexdigest()
    expect(page.get_by_text(sha256)).to_be_visible()
    assert case.artifacts.get().sha256 == sha256
    # Back on the section the form is on; submitting is on the overview.
    assert page.url.endswith(f"/cases/{case.pk}/artifacts/")
    sections.get_by_role("link", name="Overview").click()

    page.get_by_label("Reason for short notice").fill("A security fix must ship this month.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Short notice").first).to_be_visible()
    case.refresh_from_db()
    assert case.status == Submission.Status.SUBMITTED
    assert case.short_notice_reason == "A security fix must ship this month."
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)
    expect(
        page.get_by_role("navigation", name=f"Sections of {case.number}").get_by_role(
            "link", name="Overview"
        )
    ).to_have_attribute("aria-current", "page")
    screenshot(page, "submitter-case-overview")
