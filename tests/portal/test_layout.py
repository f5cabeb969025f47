"""The shell every page shares: USWDS banner, header, navigation by role, footer.

Every page the tests render here is parsed and must carry no inline script and no
inline event handler: the portal's Content-Security-Policy story depends on it.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
USWDS_FILES = [
    "uswds/css/uswds.min.css",
    "uswds/js/uswds.min.js",
    "uswds/js/uswds-init.min.js",
    "uswds/img/us_flag_small.png",
    "uswds/img/usa-icons/close.svg",
]


class Page(HTMLParser):
    """What the layout tests look at in a rendered page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.title = ""
        self.nav_links: list[dict] = []
        self._in = None
        self._text = ""
        self._nav_depth = 0
        self._nav_link = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in {"script", "title"}:
            self._in, self._text = tag, ""
        if tag == "nav" and "usa-nav" in attrs.get("class", "").split():
            self._nav_depth = 1
        elif tag == "nav" and self._nav_depth:
            self._nav_depth += 1
        if self._nav_depth and tag == "a":
            self._nav_link = {"href": attrs.get("href"), "attrs": attrs, "label": ""}

    def handle_endtag(self, tag):
        if tag == self._in == "script":
            self.scripts.append((self.tags_of("script")[-1], self._text))
            self._in = None
        elif tag == self._in == "title":
            self.title = self._text.strip()
            self._in = None
        if tag == "a" and self._nav_link is not None:
            self._nav_link["label"] = self._nav_link["label"].strip()
            self.nav_links.append(self._nav_link)
            self._nav_link = None
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1

    def handle_data(self, data):
        if self._in:
            self._text += data
        if self._nav_link is not None:
            self._nav_link["label"] += data

    def tags_of(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]

    def with_class(self, css: str) -> list[tuple[str, dict]]:
        return [(t, a) for t, a in self.tags if css in (a.get("class") or "").split()]

    @property
    def nav_labels(self) -> list[str]:
        return [link["label"] for link in self.nav_links]


def assert_no_inline_code(html: str) -> Page:
    page = Page(html)
    for attrs, body in page.scripts:
        assert attrs.get("src"), f"inline <script> block: {body[:80]!r}"
        assert not body.strip(), "a <script src> with a body"
    for tag, attrs in page.tags:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> has inline event handlers {handlers}"
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith("javascript:"), f"<{tag} {name}> runs javascript"
    return page


def assert_portal_shell(page: Page) -> None:
    assert page.with_class("usa-banner"), "USWDS banner missing"
    assert page.with_class("usa-header"), "USWDS header missing"
    assert page.with_class("usa-footer"), "USWDS footer missing"
    skipnav = page.with_class("usa-skipnav")
    assert skipnav and skipnav[0][1]["href"] == "#main-content"
    assert [a for t, a in page.tags if t == "main" and a.get("id") == "main-content"]
    stylesheets = [a["href"] for a in page.tags_of("link") if a.get("rel") == "stylesheet"]
    assert "/static/uswds/css/uswds.min.css" in stylesheets
    assert page.title.endswith("· Frontier Review Portal")
    assert page.title != "· Frontier Review Portal", "the page has no title of its own"


def test_parser_catches_what_it_must():
    """The checks below would fail on a page that broke the rules."""
    with pytest.raises(AssertionError, match="inline <script>"):
        assert_no_inline_code("<script>alert(1)</script>")
    with pytest.raises(AssertionError, match="inline event handlers"):
        assert_no_inline_code('<button onclick="go()">Go</button>')
    with pytest.raises(AssertionError, match="runs javascript"):
        assert_no_inline_code('<a href="javascript:void(0)">x</a>')
    assert_no_inline_code('<script src="/static/x.js"></script>')


def pages_for(personas) -> list[tuple[str, object, str, int]]:
    """(name, person or None, url, expected status) for every page this area renders."""
    p = personas
    return [
        ("sign in", None, reverse("login"), 200),
        ("not found (anonymous)", None, "/no-such-page/", 404),
        ("coordinator dashboard", p["coordinator"], reverse("reviews:agency_queue"), 200),
        ("reviewer dashboard", p["reviewer"], reverse("reviews:my_cases"), 200),
        ("submitter dashboard", p["submitter"], reverse("portal:case_list"), 200),
        ("operator dashboard", p["operator"], reverse("access:granted_models"), 200),
        ("submitter tokens", p["submitter"], reverse("portal:token_list"), 200),
        ("operator tokens", p["operator"], reverse("portal:token_list"), 200),
        ("password change", p["reviewer"], reverse("password_change"), 200),
        ("password changed", p["reviewer"], reverse("password_change_done"), 200),
        ("admin password change", p["admin"], reverse("password_change"), 200),
        ("no role yet", p["outsider"], reverse("home"), 200),
        ("forbidden", p["reviewer"], reverse("portal:case_list"), 403),
        ("not found (signed in)", p["submitter"], "/no-such-page/", 404),
    ]


def test_every_page_uses_the_shell_and_no_inline_code(personas):
    for name, person, url, status in pages_for(personas):
        client = Client()
        if person is not None:
            client.force_login(person)
        response = client.get(url)
        assert response.status_code == status, name
        page = assert_no_inline_code(response.content.decode())
        assert_portal_shell(page)
        scripts = [a["src"] for a in page.tags_of("script")]
        assert scripts == ["/static/uswds/js/uswds-init.min.js", "/static/uswds/js/uswds.min.js"]


def test_forms_with_errors_and_the_expired_form_page_have_no_inline_code(client, submitter):
    bad_login = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert_portal_shell(assert_no_inline_code(bad_login.content.decode()))

    client.force_login(submitter)
    bad_password = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "short", "new_password2": "short"},
    )
    assert_portal_shell(assert_no_inline_code(bad_password.content.decode()))
    bad_token = client.post(reverse("portal:token_create"), {"name": ""})
    assert_portal_shell(assert_no_inline_code(bad_token.content.decode()))

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(submitter)
    expired = strict.post(reverse("portal:token_create"), {"name": "script"})
    assert expired.status_code == 403
    page = assert_no_inline_code(expired.content.decode())
    assert_portal_shell(page)
    assert "That form has expired" in expired.content.decode()


@pytest.mark.parametrize("template", ["500.html", "400.html"])
def test_standalone_error_pages_have_the_shell_without_scripts(template):
    page = assert_no_inline_code(render_to_string(template))
    assert_portal_shell(page)
    assert page.scripts == []


EXPECTED_NAV = {
    "submitter": [
        "Cases",
        "Discussions",
        "Frontier",
        "Access tokens",
        "Notifications",
        "Password",
    ],
    "coordinator": [
        "Agency queue",
        "Reviewers",
        "Discussions",
        "Frontier",
        "Notifications",
        "Password",
    ],
    "reviewer": [
        "My cases",
        "Discussions",
        "Frontier",
        "Access tokens",
        "Notifications",
        "Password",
    ],
    "operator": ["Granted models", "Discussions", "Access tokens", "Notifications", "Password"],
    "admin": ["Administration", "Password"],
    "outsider": ["Password"],
}


@pytest.mark.parametrize("persona", sorted(EXPECTED_NAV))
def test_navigation_follows_the_role(client, personas, persona):
    client.force_login(personas[persona])
    page = Page(client.get(reverse("password_change")).content.decode())
    assert page.nav_labels == EXPECTED_NAV[persona]


def test_anonymous_sees_no_navigation_and_no_sign_out(client, db):
    html = client.get(reverse("login")).content.decode()
    page = Page(html)
    assert page.nav_links == []
    assert not page.with_class("usa-menu-btn")
    assert reverse("logout") not in html


@pytest.mark.parametrize(
    ("persona", "url_name", "label"),
    [
        ("submitter", "portal:case_list", "Cases"),
        ("submitter", "portal:token_list", "Access tokens"),
        ("coordinator", "reviews:agency_queue", "Agency queue"),
        ("reviewer", "reviews:my_cases", "My cases"),
        ("operator", "access:granted_models", "Granted models"),
        ("operator", "password_change", "Password"),
    ],
)
def test_the_current_page_is_marked(client, personas, persona, url_name, label):
    client.force_login(personas[persona])
    page = Page(client.get(reverse(url_name)).content.decode())
    current = [link for link in page.nav_links if link["attrs"].get("aria-current") == "page"]
    assert [link["label"] for link in current] == [label]
    assert "usa-current" in current[0]["attrs"]["class"].split()


def test_a_page_beneath_a_nav_link_marks_that_link(rf, submitter):
    from portal.accounts.context_processors import navigation

    request = rf.get(reverse("portal:case_list") + "FMR-2026-0042/")
    request.user = submitter
    current = [link["label"] for link in navigation(request)["nav_links"] if link["current"]]
    assert current == ["Cases"]


@pytest.mark.parametrize(
    ("persona", "url_name", "title"),
    [
        ("submitter", "portal:case_list", "Cases · Frontier Review Portal"),
        ("coordinator", "reviews:agency_queue", "Agency queue · Frontier Review Portal"),
        ("reviewer", "password_change", "Change password · Frontier Review Portal"),
    ],
)
def test_the_page_title_names_the_page(client, personas, persona, url_name, title):
    client.force_login(personas[persona])
    assert Page(client.get(reverse(url_name)).content.decode()).title == title


def test_sign_out_is_a_form_that_posts(client, reviewer):
    client.force_login(reviewer)
    page = Page(client.get(reverse("reviews:my_cases")).content.decode())
    forms = [a for a in page.tags_of("form") if a.get("action") == reverse("logout")]
    assert forms and forms[0]["method"] == "post"


def test_uswds_files_are_found_by_the_static_finders(capsys):
    call_command("findstatic", *USWDS_FILES, verbosity=1)
    out = capsys.readouterr().out
    for name in USWDS_FILES:
        assert f"Found '{name}'" in out, out
    assert "No matching file" not in out


def test_every_static_file_a_template_names_exists():
    import re

    named = set()
    for template in TEMPLATES_DIR.rglob("*.html"):
        named.update(re.findall(r"{%\s*static\s+['\"]([^'\"]+)['\"]", template.read_text()))
    assert "uswds/css/uswds.min.css" in named
    missing = sorted(name for name in named if not finders.find(name))
    assert missing == []


def test_the_notifications_link_counts_unread_ones(client, submitter):
    from portal.notifications.models import Notification

    Notification.objects.create(recipient=submitter, title="One")
    Notification.objects.create(recipient=submitter, title="Two")
    client.force_login(submitter)
    assert b"Notifications (2)" in client.get(reverse("portal:case_list")).content

    client.post(reverse("portal:notifications_read"))
    page = client.get(reverse("portal:case_list")).content
    assert b"Notifications (2)" not in page and b"Notifications" in page
