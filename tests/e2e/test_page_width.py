"""No page scrolls sideways: every role's main pages at a desktop and a phone width.

The case under test has a 5,000-character unbroken word in its description and
an artifact with a 200-character name, shown on the case page, the workspace,
the grant page and the download logs: without the stylesheet's wrapping and
the tables' own scrolling boxes, these pages would be thousands of pixels wide.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import sign_in

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
LONG_WORD = "Unbroken" * 625  # 5,000 characters, no break opportunity
LONG_NAME = "nimbus-" + "W" * 190 + ".safetensors"
COMMON = ["/notifications/", "/account/tokens/", "/account/two-step/"]
# The sections beside each overview (the developer's case page, the agencies' workspace).
DEVELOPER_SECTIONS = ("artifacts", "scores", "timeline")
WORKSPACE_SECTIONS = (
    "reviewers",
    "findings",
    "requests",
    "scores",
    "artifacts",
    "recommendation",
    "discussion",
    "access",
    "timeline",
)
# The sections other apps add to the developer's page of a submitted case
# (portal.core.hooks.case_panel with a section); a draft has none of them.
DEVELOPER_ADDED_SECTIONS = ("review", "discussion", "access")
FIRST_SCREEN_PX = 2000


@pytest.fixture
def wide_case(demo):
    """A submitted case with a very long word and a very long file name, reviewed by
    ``reviewer`` and granted to First Harbor Bank, whose operator has accepted the terms."""
    from access import services as access_services
    from access.models import AccessGrant, Terms
    from portal.accounts.models import Organization, User
    from portal.cases.demo import demo_file, store_demo_artifact
    from portal.cases.models import Submission
    from portal.cases.services import lifecycle as case_services
    from reviews.services import assignments as assignment_services

    submitter = User.objects.get(username="submitter")
    coordinator = User.objects.get(username="coordinator")
    reviewer = User.objects.get(username="reviewer")
    case = case_services.create_draft(
        actor=submitter,
        model_name="Nimbus",
        model_version="9.0-wide",
        description=f"A description with one very long word: {LONG_WORD}",
        planned_release_date=timezone.localdate() + timedelta(days=120),
        access_mode=Submission.AccessMode.BOTH,
        deployment_notes=LONG_WORD,
        contact_person=submitter,
    )
    store_demo_artifact(submitter, case, "weights", LONG_NAME, demo_file("wide", 4096))
    case_services.submit_case(actor=submitter, case_id=case.pk, short_notice_reason="")
    case.refresh_from_db()
    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role="lead",
        due_date=case.review_due,
    )
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    bank = Organization.objects.get(slug="first-harbor-bank")
    grant = access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)
    assert grant.status == AccessGrant.Status.ACTIVE
    operator = User.objects.get(username="operator")
    if not access_services.has_accepted_current_terms(operator):
        access_services.accept_terms(actor=operator, terms_id=Terms.current().pk)
    return case, grant


@pytest.fixture
def pages_by_role(wide_case):
    case, grant = wide_case
    # The workspace's overview and each of its sections (long names show on several).
    workspace = [f"/reviews/cases/{case.pk}/"] + [
        f"/reviews/cases/{case.pk}/{section}/" for section in WORKSPACE_SECTIONS
    ]
    return {
        "submitter": [
            "/",
            "/cases/",
            f"/cases/{case.pk}/",
            *(
                f"/cases/{case.pk}/{section}/"
                for section in (*DEVELOPER_SECTIONS, *DEVELOPER_ADDED_SECTIONS)
            ),
            f"/access/cases/{case.pk}/downloads",
            "/frontier/",
            "/frontier/cyberrange-ctf/",
            *COMMON,
        ],
        "coordinator": [
            "/",
            "/reviews/queue/",
            "/reviews/reviewers/",
            *workspace,
            f"/access/cases/{case.pk}/downloads",
            "/frontier/",
            "/frontier/cyberrange-ctf/",
            "/frontier/sandbag/",
            *COMMON,
        ],
        "reviewer": ["/", "/reviews/mine/", *workspace, "/frontier/", *COMMON],
        "operator": [
            "/",
            "/access/granted/",
            f"/access/grants/{grant.pk}/",
            "/access/history/",
            "/access/terms/",
            *COMMON,
        ],
    }


def download_the_long_file(page, grant) -> None:
    """One download, so the operator's history and the case's log list the long name."""
    page.goto(f"/access/grants/{grant.pk}/")
    href = page.locator("a[href*='/artifacts/']").first.get_attribute("href")
    assert href and "WWWW" in href, href
    assert page.request.get(href).status == 200


def sideways(page) -> dict | None:
    """The page's width against the window's, when the page is the wider."""
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    return widths if widths["page"] > widths["window"] else None


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_main_page_scrolls_sideways(browser, demo, wide_case, pages_by_role, viewport):
    _case, grant = wide_case
    too_wide = []
    # The operator goes first: the download shows on the developer's and agency's logs too.
    for username, paths in sorted(pages_by_role.items(), key=lambda item: item[0] != "operator"):
        context = browser.new_context(base_url=demo.url, viewport=VIEWPORTS[viewport])
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            if username == "operator":
                download_the_long_file(page, grant)
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, (username, path, response.status)
                if path.startswith("/frontier/"):
                    # The collapsed table, opened: it scrolls in its own box.
                    page.evaluate(
                        "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                    )
                widths = sideways(page)
                if widths:
                    too_wide.append(f"{username} {path}: {widths['page']} > {widths['window']}")
        finally:
            context.close()
    assert not too_wide, "\n".join(too_wide)


def test_the_long_word_is_on_the_page(browser, demo, wide_case):
    """The pages above really carry the long word and the long name (or the test proves nothing)."""
    case, grant = wide_case
    context = browser.new_context(base_url=demo.url, viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        sign_in(page, "submitter")
        page.goto(f"/cases/{case.pk}/")
        assert LONG_WORD in page.content()  # the description
        page.goto(f"/cases/{case.pk}/access/")
        assert LONG_NAME in page.content()  # the grant's artifacts
    finally:
        context.close()


# Where a section's own content starts, in page pixels from the top: the bottom
# of the case header (the h1 block), of the side navigation and of the section's
# first heading (the first h2 of the column beside the navigation), and the top
# of what follows that heading (its table, list, form or first paragraph).
FIRST_BLOCK = """() => {
  const nav = document.querySelector("nav[aria-label^='Sections of']");
  const column = nav && nav.nextElementSibling;
  const heading = column && column.querySelector("h2");
  if (!heading) return null;
  const next = heading.nextElementSibling || heading.parentElement.nextElementSibling;
  const y = (element, edge) => Math.round(element.getBoundingClientRect()[edge] + window.scrollY);
  return {
    header: y(document.querySelector("h1"), "bottom"),
    // The list, not the <nav>: the grid stretches its column to the row's height.
    navigation: y(nav.querySelector("ul"), "bottom"),
    heading: y(heading, "bottom"),
    content: next ? y(next, "top") : y(heading, "bottom"),
  };
}"""


def section_paths(prefix: str, pk: int, sections) -> list[str]:
    return [f"{prefix}{pk}/"] + [f"{prefix}{pk}/{section}/" for section in sections]


def test_every_section_starts_on_its_first_screen(browser, demo):
    """At 1280 px wide, on the demo data, every section of every case its people
    open shows the case header, the side navigation, the section's heading and
    the start of its content within the first 2,000 px: what is above a
    section's own content (header, navigation, heading) never pushes it down.

    Every case of the demo developer (its four sections, seven once submitted)
    and every case the CAISI coordinator sees (the workspace's nine sections)
    are opened.
    """
    from portal.accounts.models import User
    from portal.cases.models import Submission

    submitter = User.objects.get(username="submitter")
    coordinator = User.objects.get(username="coordinator")
    own = Submission.objects.filter(developer_id=submitter.membership.organization_id)
    routed = Submission.objects.visible_to(coordinator).exclude(status="draft")
    paths_by_role = {
        "submitter": [
            path
            for pk, status in own.order_by("pk").values_list("pk", "status")
            for path in section_paths(
                "/cases/",
                pk,
                DEVELOPER_SECTIONS
                if status == "draft"
                else (*DEVELOPER_SECTIONS, *DEVELOPER_ADDED_SECTIONS),
            )
        ],
        "coordinator": [
            path
            for pk in routed.order_by("pk").values_list("pk", flat=True)
            for path in section_paths("/reviews/cases/", pk, WORKSPACE_SECTIONS)
        ],
    }
    assert len(paths_by_role["submitter"]) >= 4 * 4 and len(paths_by_role["coordinator"]) >= 7
    too_low = []
    for username, paths in paths_by_role.items():
        context = browser.new_context(base_url=demo.url, viewport=VIEWPORTS["desktop"])
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, (username, path, response.status)
                first_block = page.evaluate(FIRST_BLOCK)
                assert first_block, f"{path}: no side navigation or section heading"
                if max(first_block.values()) >= FIRST_SCREEN_PX:
                    too_low.append(f"{username} {path}: {first_block}")
        finally:
            context.close()
    assert not too_low, "\n".join(too_low)
