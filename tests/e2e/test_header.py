"""The site header lays out cleanly for every role, at a desktop and a phone width.

At 1280 px every primary nav link sits on one line and nothing in the header
overlaps: not the search box, not the person's name and the sign-out button.
At 375 px the links live in the menu, each on one line, and the header fits the
window. The agency coordinator and the developer's org admin have the most links.
"""

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, sign_in

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
MIN_SEARCH_FIELD = 160  # px: room to type a case number
ROLES = ["coordinator", "orgadmin", "submitter", "reviewer", "operator"]

# Each nav link's label as the browser laid it out: its line boxes and its box.
NAV_LAYOUT = """() => {
  // The line boxes of an element's text, whatever its display: one per line.
  const lineCount = (el) => { const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; };
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
  const links = [...document.querySelectorAll('.usa-nav__primary .usa-nav-link')].map((a) => ({
    label: a.textContent.trim(),
    lines: lineCount(a.querySelector('span')),
    box: box(a),
  }));
  const search = document.querySelector('.portal-search');
  const signout = document.querySelector('.portal-signout');
  const header = document.querySelector('.usa-header');
  const logo = document.querySelector('.usa-logo__text a');
  const banner = document.querySelector('.usa-banner');
  return {
    banner: box(banner),
    links,
    logo: {lines: lineCount(logo), box: box(logo)},
    search: search ? box(search) : null,
    searchField: search ? box(search.querySelector('input')) : null,
    signout: signout ? box(signout) : null,
    headerWidth: header.scrollWidth,
    windowWidth: window.innerWidth,
  };
}"""


def overlap(a, b) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


@pytest.fixture
def org_admin(demo):
    from portal.accounts.models import Membership, Organization, User

    person = User.objects.create(
        username="orgadmin",
        first_name="Robin",
        last_name="Alvarez-Whitfield",
        email="orgadmin@example.test",
    )
    person.set_password(DEMO_PASSWORD)
    person.save()
    Membership.objects.create(
        user=person,
        role=Membership.Role.ORG_ADMIN,
        organization=Organization.objects.get(slug="northwind"),
    )
    return person


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_header_lays_out_cleanly_for_every_role(browser, demo, org_admin, viewport):
    faults = []
    for username in ROLES:
        context = browser.new_context(base_url=demo.url, viewport=VIEWPORTS[viewport])
        context.set_default_timeout(10_000)
        try:
            page = context.new_page()
            sign_in(page, username)
            page.goto("/notifications/")
            if viewport == "phone":
                page.get_by_role("button", name="Menu").click()
                page.locator(".usa-nav.is-visible").wait_for()
                page.wait_for_timeout(400)  # the drawer slides in
            layout = page.evaluate(NAV_LAYOUT)
            assert len(layout["links"]) >= 2, (username, layout)
            for link in layout["links"]:
                if link["lines"] != 1:
                    faults.append(f"{username}: “{link['label']}” wraps onto {link['lines']} lines")
                if layout["search"] and overlap(link["box"], layout["search"]):
                    faults.append(f"{username}: the search box overlaps “{link['label']}”")
                if overlap(link["box"], layout["signout"]):
                    faults.append(f"{username}: the sign-out overlaps “{link['label']}”")
            if layout["logo"]["lines"] != 1:
                faults.append(
                    f"{username}: the site's name wraps onto {layout['logo']['lines']} lines"
                )
            for part in ("search", "signout"):
                for other in ("logo", "banner"):
                    other_box = layout[other]["box"] if other == "logo" else layout[other]
                    if layout[part] and overlap(other_box, layout[part]):
                        faults.append(f"{username}: the {part} overlaps the {other}")
            if layout["search"] and overlap(layout["search"], layout["signout"]):
                faults.append(f"{username}: the search box overlaps the sign-out")
            if layout["search"] and layout["searchField"]["width"] < MIN_SEARCH_FIELD:
                faults.append(
                    f"{username}: the search field is squeezed to {layout['searchField']}"
                )
            if layout["headerWidth"] > layout["windowWidth"]:
                faults.append(f"{username}: the header is {layout['headerWidth']} px wide")
        finally:
            context.close()
    assert not faults, "\n".join(faults)
