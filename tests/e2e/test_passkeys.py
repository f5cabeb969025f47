"""A coordinator adds a passkey, signs in and confirms with it, on Chromium's virtual
authenticator.

WebAuthn needs a secure context: the live server is served as http://localhost (a
secure context), and the relying party is ``localhost`` with that exact origin. The
virtual authenticator (DevTools' WebAuthn domain) stands in for a platform
authenticator with a screen lock: resident keys, user verification that succeeds.
"""

import re
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from portal.accounts import session_policy
from portal.accounts.mfa import demo_authenticator
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from tests.e2e.conftest import DEMO_PASSWORD, confirm_if_asked
from tests.e2e.test_admin_and_mfa import current_code


@pytest.fixture
def passkey_server(demo, settings):
    assert demo.url.startswith("http://localhost:"), demo.url
    settings.MFA_ENFORCED = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [demo.url]
    return demo


def virtual_authenticator(page) -> tuple:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return session, added["authenticatorId"]


def password_step(page, username):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/code"))


def test_a_coordinator_adds_a_passkey_and_signs_in_with_it(new_page, passkey_server, settings):
    coordinator = User.objects.get(username="coordinator")
    device = demo_authenticator(coordinator)
    page = new_page()
    session, authenticator_id = virtual_authenticator(page)

    # Signed in with the authenticator app, the coordinator adds a passkey.
    password_step(page, "coordinator")
    page.get_by_label("Authentication code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CAISI queue")
    page.goto("/account/two-step/")
    add = page.get_by_role("button", name="Add a passkey")
    if not add.count():
        page.get_by_role("link", name="Confirm it is you to add a passkey").click()
        page.get_by_label("Authentication code").fill(current_code(device))
        confirm_if_asked(page)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-list")).to_contain_text("added")
    expect(page.locator(".usa-alert")).to_contain_text("Your passkey is added")
    assert WebAuthnCredential.objects.filter(user=coordinator, confirmed=True).count() == 1
    credentials = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    assert AuditEvent.objects.filter(action="mfa.passkey_added").exists()

    # Passkeys become required for agency staff: the app's codes no longer sign in...
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency", "admin"]
    page.get_by_role("button", name="Sign out").click()
    password_step(page, "coordinator")
    page.get_by_label("Authentication code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("body")).to_contain_text("codes from an authenticator app are not accepted")
    expect(page).to_have_url(re.compile(r"/login/code"))

    # ...and the passkey does, in the same browser (the virtual authenticator holds it).
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CAISI queue")
    credential = WebAuthnCredential.objects.get(user=coordinator)
    assert credential.last_used_at is not None

    # Later, a sensitive action: the passkey stands in for the code, the password is asked.
    make_stale(page)
    page.goto("/account/confirm?next=/account/two-step/")
    page.get_by_role("button", name="Confirm with a passkey").click()
    expect(page.get_by_role("status").filter(has_text="Passkey confirmed")).to_be_visible()
    expect(page.get_by_label("Authentication code")).to_have_count(0)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/account/two-step/$"))
    assert AuditEvent.objects.filter(action="auth.reauthenticated").exists()


def make_stale(page):
    """The last sign-in or confirmation was 16 minutes ago (the session, edited on the server)."""
    cookie = next(
        c for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME
    )
    session = SessionStore(session_key=cookie["value"])
    session[session_policy.AUTHENTICATED_AT] = time.time() - 16 * 60
    session.save()
