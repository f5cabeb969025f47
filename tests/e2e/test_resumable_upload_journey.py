"""A submitter uploads large weights resumably: pauses, resumes, reloads the page and
chooses the same file, and the upload carries on where it stopped."""

import hashlib
import os
import time

from playwright.sync_api import expect

from portal.cases.models import ArtifactUpload
from portal.cases.services import lifecycle as case_services
from tests.e2e.conftest import sign_in

CHUNK = 128 * 1024
WEIGHTS = os.urandom(24 * CHUNK)  # 3 MiB in 24 PATCHes


def test_a_browser_upload_pauses_resumes_and_survives_a_reload(new_page, tmp_path, settings):
    from portal.accounts.models import User

    settings.TUS_BROWSER_CHUNK_BYTES = CHUNK
    settings.UPLOADS_PARTIAL_DIR = tmp_path / "partial"
    submitter = User.objects.get(username="submitter")
    case = case_services.create_draft(
        actor=submitter, model_name="Stratus", model_version="1.0-e2e", contact_person=submitter
    )
    weights = tmp_path / "stratus-1.0.safetensors"
    weights.write_bytes(WEIGHTS)

    page = new_page()
    requests = []  # (method, Upload-Offset) of every tus request the page sends

    def slow_tus(route):
        request = route.request
        requests.append((request.method, request.headers.get("upload-offset")))
        if request.method == "PATCH":
            time.sleep(0.15)  # a slow line, so that there is time to pause
        route.continue_()

    page.route("**/api/v1/cases/*/uploads/**", slow_tus)
    sign_in(page, "submitter")
    page.goto(f"/cases/{case.pk}/artifacts/")

    def choose_and_upload():
        page.get_by_label("Kind of artifact").select_option("weights")
        page.locator("input[type=file][name=file]").set_input_files(weights)
        page.get_by_role("button", name="Upload").click()

    def server_offset() -> int:
        return ArtifactUpload.objects.get(case=case).offset

    choose_and_upload()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function("() => document.querySelector('#upload-progress').value >= 20")
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused at")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.wait_for_timeout(500)  # a PATCH already on the wire may still land
    paused_at = server_offset()
    page.wait_for_timeout(500)
    assert server_offset() == paused_at < len(WEIGHTS)  # nothing moves while paused
    assert not case.artifacts.exists()

    page.get_by_role("button", name="Resume").click()
    page.wait_for_function(
        f"() => document.querySelector('#upload-progress').value >= "
        f"{min(95, paused_at * 100 // len(WEIGHTS) + 15)}"
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused at")).to_be_visible()
    page.wait_for_timeout(500)
    before_reload = server_offset()
    assert paused_at < before_reload < len(WEIGHTS)

    # Reload the page and choose the same file: the upload carries on, it does not restart.
    requests.clear()
    page.reload()
    with page.expect_navigation():
        choose_and_upload()
    expect(page.get_by_text(hashlib.sha256(WEIGHTS).hexdigest())).to_be_visible()
    artifact = case.artifacts.get()
    assert (artifact.sha256, artifact.size) == (hashlib.sha256(WEIGHTS).hexdigest(), len(WEIGHTS))
    assert ("POST", None) not in requests  # no new upload was created
    first_patch = next(offset for method, offset in requests if method == "PATCH")
    assert int(first_patch) == before_reload
    assert not ArtifactUpload.objects.exists()
