"""Browser journeys: Chromium (Debian's, never a downloaded build) driven by Playwright
against the portal served on loopback by pytest-django's ``live_server``.

The data is the demo data (``seed_demo``), built in the test database. The tests skip
with a message when Playwright or Chromium is missing, except in CI (``CI=true``),
where a missing browser fails them. ``E2E=false`` skips them on purpose (.ci/run's
PostgreSQL pass: the journeys run once, on SQLite).
"""

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "e2e-demo-password-2026"
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if os.environ.get("E2E", "").lower() in ("0", "false", "no"):
        return "E2E=false: the browser journeys run in another pass"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -c constraints.txt -e '.[dev]'"
    if not os.path.exists(CHROMIUM):
        return f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _unavailable()
    if reason is None:
        return
    in_ci = os.environ.get("CI", "").lower() == "true"
    if in_ci and not reason.startswith("E2E=false"):
        raise pytest.UsageError(f"CI must run the browser journeys: {reason}")
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for tests/e2e, closed after its last test: Playwright's sync API keeps
    an event loop marked running in this thread, which the rest of the suite must not
    see. While it runs, Django's ORM (used between browser steps) is told it may."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(transactional_db, live_server, monkeypatch):
    """The demo data, with the demo authenticators removed: the MFA test adds its own."""
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # The flush between transactional tests recreates content types; guardian looks
    # them up through ContentType's cache.
    ContentType.objects.clear_cache()
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    # The hourly password-reset counters outlive a test run (files under VAR_DIR, or
    # Redis): start each journey with none, as a fresh installation does.
    caches["limits"].clear()
    call_command("seed_demo", stdout=io.StringIO())
    TOTPDevice.objects.all().delete()
    return live_server


@pytest.fixture
def new_page(browser, demo):
    """A factory of pages, each in its own browser context (its own cookies)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=demo.url, viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username, password=DEMO_PASSWORD):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, page.content()[:2000]


def confirm_if_asked(page, password=DEMO_PASSWORD):
    """Fill in re-authentication when a sensitive action asks for it; True if it did."""
    if "/account/confirm" not in page.url:
        return False
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    return True


def click_sensitive(page, button_name, *, scope=None, fill=None):
    """Send a sensitive action; when the portal asks to confirm it is you, confirm: the
    portal kept what was sent and does it then, so nothing is sent twice."""
    scope = scope or page
    if fill:
        fill(scope)
    scope.get_by_role("button", name=button_name).click()
    page.wait_for_load_state()
    confirm_if_asked(page)


def understand(scope):
    """Tick the "I understand" box an action that cannot be undone asks for."""
    scope.locator("label", has_text="I understand").click()


def screenshot(page, name):
    """Take the README's screenshot of this page: always rendered (so a broken
    page fails here too), written to docs/screenshots/ only with
    E2E_SCREENSHOTS=true (`make screenshots`), so a test run leaves the tree clean."""
    image = page.screenshot(type="png")
    assert image.startswith(b"\x89PNG")
    if os.environ.get("E2E_SCREENSHOTS", "").lower() in {"1", "true", "yes"}:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(image)


@pytest.fixture
def fresh_case(demo):
    """A case of Northwind's submitter, submitted with a weights file and routed to CAISI."""
    from datetime import timedelta

    from django.utils import timezone

    from portal.accounts.models import User
    from portal.cases.demo import demo_file, store_demo_artifact
    from portal.cases.models import Submission
    from portal.cases.services import lifecycle as case_services

    submitter = User.objects.get(username="submitter")
    case = case_services.create_draft(
        actor=submitter,
        model_name="Nimbus",
        model_version="4.0-e2e",
        description="Nimbus 4.0: a frontier model for the browser journeys.",
        planned_release_date=timezone.localdate() + timedelta(days=120),
        access_mode=Submission.AccessMode.BOTH,
        deployment_notes="Public API first.",
        contact_person=submitter,
    )
    store_demo_artifact(
        submitter, case, "weights", "nimbus-4.0.safetensors", demo_file("nimbus", 64 * 1024)
    )
    case_services.submit_case(actor=submitter, case_id=case.pk, short_notice_reason="")
    case.refresh_from_db()
    return case


def tick(scope, label):
    """Check a USWDS radio or checkbox: its input is visually hidden, so click its label."""
    scope.locator("label").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).click()
