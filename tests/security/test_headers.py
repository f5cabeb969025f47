"""Security headers on every page: CSP with nonces and no inline script, HSTS,
cookie flags, Referrer-Policy and framing; and no page carries an inline script."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.security.routes import KWARGS
from tests.security.world import world  # noqa: F401  (the module's world)

# A page of each kind, with the persona who may read it.
PAGES = [
    ("login", "anonymous"),
    ("portal:case_list", "submitter"),
    ("portal:case_detail", "submitter"),
    ("portal:case_artifacts", "submitter"),  # loads upload.js
    ("portal:case_detail", "coordinator"),
    ("portal:token_list", "operator"),
    ("portal:notification_list", "reviewer"),
    ("portal:frontier", "coordinator"),
    ("reviews:agency_queue", "coordinator"),
    ("reviews:my_cases", "reviewer"),
    ("reviews:workspace", "reviewer"),
    ("access:granted_models", "operator"),
    ("access:grant_detail", "operator"),
    ("access:download_history", "operator"),
    ("access:terms", "operator"),
    ("access:report_detail", "submitter"),
    ("portal:case_detail", "other_submitter"),  # the 404 page
    ("reviews:agency_queue", "submitter"),  # the 403 page
    ("mfa_overview", "coordinator"),  # the passkey registration script and its settings
    ("reauthenticate", "unassigned_reviewer"),  # has a passkey: the authentication script
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def page(world, name, persona):  # noqa: F811
    client = Client()
    if persona != "anonymous":
        client.force_login(world.people[persona])
    return client.get(reverse(name, kwargs=KWARGS.get(name, lambda w: {})(world)))


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(("name", "persona"), PAGES)
def test_every_page_has_a_strict_content_security_policy(world, db, name, persona):  # noqa: F811
    response = page(world, name, persona)
    assert response.status_code in (200, 403, 404)
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    scripts = csp["script-src"]
    assert scripts[0] == "'self'"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("name", "persona"), PAGES)
def test_every_script_is_a_file_carrying_the_pages_nonce(world, db, name, persona):  # noqa: F811
    response = page(world, name, persona)
    html = response.content.decode()
    nonces = [v for v in directives(response)["script-src"] if v.startswith("'nonce-")]
    scripts = SCRIPT_TAG.findall(html)
    assert scripts or response.status_code != 200, "the layout loads USWDS' scripts"
    for attributes, body in scripts:
        if re.search(r'\btype="application/json"', attributes):
            # A data block (json_script), which browsers never run: it must be only JSON.
            json.loads(body)
            continue
        assert not body.strip(), f"inline script on {name}: {body[:80]!r}"
        assert re.search(r'\bsrc="/static/', attributes), attributes
        assert len(nonces) == 1
        assert f'nonce="{nonces[0][len("'nonce-") : -1]}"' in attributes
    # No event handler attributes or javascript: URLs either: CSP would block
    # them, and the page would silently break.
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)
    assert "javascript:" not in html.lower()
    assert not re.search(r"<[a-z]+[^>]*\sstyle\s*=", html, re.IGNORECASE)


def test_each_response_gets_its_own_nonce(world, db):  # noqa: F811
    first = directives(page(world, "login", "anonymous"))["script-src"]
    second = directives(page(world, "login", "anonymous"))["script-src"]
    assert first != second


def test_upload_js_on_the_case_page_carries_the_nonce(world, db):  # noqa: F811
    response = page(world, "portal:case_artifacts", "submitter")
    assert re.search(r'<script src="/static/portal/upload\.js" nonce="[^"]+" defer>', response.text)


def test_hsts_is_sent_over_https(world, db, settings):  # noqa: F811
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = Client().get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in Client().get(reverse("login"))


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(world, db, settings):  # noqa: F811
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("login"), secure=True)
    signed_in = client.post(
        reverse("login"), {"username": "submitter", "password": PASSWORD}, secure=True
    )
    assert signed_in.status_code == 302, "the sign-in sets the session cookie"
    session = client.cookies["sessionid"]
    csrf = client.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_production_defaults(monkeypatch):
    """Without DEBUG, HSTS is on for a year with subdomains; preload is opt-in."""
    import importlib

    import portal.settings as production

    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    for name in ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    try:
        reloaded = importlib.reload(production)
        assert reloaded.SECURE_HSTS_SECONDS == 365 * 24 * 3600
        assert reloaded.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
        assert reloaded.SECURE_HSTS_PRELOAD is False
        assert reloaded.SESSION_COOKIE_SECURE and reloaded.CSRF_COOKIE_SECURE
        monkeypatch.setenv("DEBUG", "true")
        assert importlib.reload(production).SECURE_HSTS_SECONDS == 0
    finally:
        monkeypatch.undo()
        importlib.reload(production)
