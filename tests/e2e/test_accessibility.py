"""Accessibility in the browser: axe-core on every main page (no serious or critical
violation), a keyboard-only path through sign-in and the reviewer queue, a visible
focus indicator, and form errors that are announced."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from access.models import AccessGrant
from portal.cases.models import Submission
from tests.e2e.conftest import DEMO_PASSWORD, screenshot, sign_in

BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.fixture
def pages_by_role(demo):
    """Each role's main pages, on the demo data."""
    aurora = Submission.objects.get(model_name="Aurora", model_version="2.0")
    draft = Submission.objects.get(model_name="Aurora Mini", model_version="0.9")
    grant = AccessGrant.objects.filter(
        operator__slug="first-harbor-bank", status=AccessGrant.Status.ACTIVE
    ).first()
    workspace = f"/reviews/cases/{aurora.pk}/"
    # The workspace's overview and each of its sections.
    sections = [workspace] + [
        f"{workspace}{section}/"
        for section in (
            "reviewers",
            "findings",
            "requests",
            "scores",
            "artifacts",
            "recommendation",
            "discussion",
            "access",  # added by access.panels (portal.core.hooks.case_panel)
            "timeline",
        )
    ]
    return {
        # The developer's case page and each of its sections.
        "submitter": [
            "/cases/",
            f"/cases/{aurora.pk}/",
            *(
                f"/cases/{aurora.pk}/{section}/"
                # review, discussion, access: added by other apps' case panels.
                for section in ("artifacts", "scores", "review", "discussion", "access", "timeline")
            ),
            f"/cases/{draft.pk}/",  # a draft's forms: submit, upload, report a score
            *(f"/cases/{draft.pk}/{section}/" for section in ("artifacts", "scores")),
            "/frontier/",
            "/frontier/cyberrange-ctf/",
        ],
        "coordinator": [
            "/reviews/queue/",
            "/reviews/reviewers/",
            *sections,
            "/frontier/",
            "/frontier/cyberrange-ctf/",
            "/frontier/sandbag/",
            "/reviews/search/?q=aurora",
            "/reviews/search/?q=",
        ],
        "reviewer": ["/reviews/mine/", *sections],
        "operator": ["/access/granted/", "/access/terms/"]
        + ([f"/access/grants/{grant.pk}/"] if grant else []),
    }


def test_main_pages_have_no_serious_or_critical_violations(new_page, pages_by_role):
    assert pages_by_role["operator"][-1].startswith("/access/grants/"), "demo grant missing"
    page = new_page()
    page.goto("/login/")
    found = blocking_violations(page)
    for username, paths in pages_by_role.items():
        page = new_page()
        sign_in(page, username)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, path
            if path.startswith("/frontier/"):
                # The collapsed table too.
                page.evaluate(
                    "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                )
            found += blocking_violations(page)
    assert not found, "\n".join(found)


def test_sign_in_and_the_reviewer_queue_by_keyboard_alone(new_page):
    page = new_page()
    page.goto("/login/")
    # The skip link comes first; Tab on until the username field has focus.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "username":
            break
    else:
        pytest.fail("Tab never reached the username field")
    page.keyboard.type("reviewer")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")

    case_link = page.locator("table a.usa-link").first
    href = case_link.get_attribute("href")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('href')") == href:
            break
    else:
        pytest.fail("Tab never reached the first case in the queue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_focus_is_visible(new_page):
    page = new_page()
    page.goto("/login/")
    screenshot(page, "sign-in")
    for selector in ["#id_username", "button[type=submit]", "a.usa-footer__primary-link, a"]:
        element = page.locator(selector).first
        element.focus()
        style = element.evaluate(
            """(el) => { const s = getComputedStyle(el);
                return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                        shadow: s.boxShadow}; }"""
        )
        visible_outline = style["outline"] != "none" and style["width"] > 0
        assert visible_outline or style["shadow"] != "none", (selector, style)


def test_form_errors_are_announced(new_page):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    password = page.get_by_label("Password")
    assert password.get_attribute("aria-invalid") == "true"
    described_by = password.get_attribute("aria-describedby") or ""
    error_id = next(part for part in described_by.split() if part.endswith("_error"))
    error = page.locator(f"#{error_id}")
    expect(error).to_have_attribute("role", "alert")
    expect(error).not_to_be_empty()
