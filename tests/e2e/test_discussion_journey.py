"""The coordinator asks the developer in a thread, the developer answers with a file,
and the coordinator sees the unread count in the header and the answer in the thread.
A CAISI-only thread never reaches the developer."""

from playwright.sync_api import expect

from portal.cases.models import Submission
from tests.e2e.conftest import sign_in, tick


def test_a_thread_between_an_agency_and_the_developer(new_page, tmp_path):
    case = Submission.objects.get(model_name="Aurora", model_version="2.0")

    coordinator = new_page()
    sign_in(coordinator, "coordinator")
    coordinator.goto(f"/reviews/cases/{case.pk}/discussion/")
    form = coordinator.locator("form[action$='/new']")
    form.get_by_label("Subject").fill("Red-team scope")
    tick(form, "The developer and the agencies")
    form.get_by_label("Message").fill("Which jailbreak suites did you run?")
    form.get_by_role("button", name="Start thread").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Red-team scope")
    coordinator.goto(f"/reviews/cases/{case.pk}/discussion/")
    form = coordinator.locator("form[action$='/new']")
    form.get_by_label("Subject").fill("Internal only")
    tick(form, "CAISI only")
    form.get_by_label("Message").fill("Between us: the numbers look soft.")
    form.get_by_role("button", name="Start thread").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Internal only")

    developer = new_page()
    sign_in(developer, "submitter")
    expect(developer.get_by_role("link", name="Discussions (1)")).to_be_visible()
    developer.goto(f"/cases/{case.pk}/discussion/")
    expect(developer.get_by_role("link", name="Internal only")).to_have_count(0)
    developer.get_by_role("link", name="Red-team scope").click()
    expect(developer.get_by_text("CAISI,")).to_be_visible()
    results = tmp_path / "suites.txt"
    results.write_text("HarmBench, JailbreakBench")
    developer.get_by_label("Message").fill("Two suites; the list is attached.")
    developer.locator("input[type=file]").set_input_files(results)
    developer.get_by_role("button", name="Send").click()
    expect(developer.get_by_text("Message sent.")).to_be_visible()
    expect(developer.get_by_role("link", name="Discussions", exact=True)).to_be_visible()

    coordinator.goto("/discussions/")
    # The answer, and the demo's two earlier replies.
    expect(coordinator.get_by_role("link", name="Discussions (3)")).to_be_visible()
    coordinator.get_by_role("link", name="Red-team scope").click()
    expect(coordinator.get_by_text("Two suites; the list is attached.")).to_be_visible()
    with coordinator.expect_download() as download:
        coordinator.get_by_role("link", name="suites.txt").click()
    assert download.value.suggested_filename == "suites.txt"
