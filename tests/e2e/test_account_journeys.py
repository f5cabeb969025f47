"""Accounts in the browser: an invitation to a first sign-in, a forgotten password reset
by email, a revoke that asks to confirm it is you and then completes on its own, and one
kept too long that comes back filled in to be sent again."""

import re
from importlib import import_module

from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import expect

from access.models import AccessGrant
from access.services import grant_access
from portal.accounts import kept_actions, session_policy
from portal.accounts.models import Agency, Membership, Organization, User
from tests.e2e.conftest import DEMO_PASSWORD, sign_in, understand

NEW_PASSWORD = "a-fresh-passphrase-for-2026"


def link_in_mail(address: str, pattern: str) -> str:
    """The path of the last link matching ``pattern`` mailed to ``address``."""
    message = [m for m in mail.outbox if m.to == [address]][-1]
    url = re.search(rf"https?://\S+{pattern}\S*", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def set_new_password(page, password=NEW_PASSWORD):
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password confirmation").fill(password)
    page.get_by_role("button", name="Set password").click()
    page.wait_for_load_state()


def sign_in_fails(page, username, password):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login/" in page.url


def admin_adds(page, username) -> User:
    """The admin adds a person: no password is typed, an invitation is mailed."""
    page.goto("/admin/accounts/user/add/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(f"{username}@example.test")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    person = User.objects.get(username=username)
    assert not person.has_usable_password()
    return person


def accept_invitation(page, username):
    page.goto(link_in_mail(f"{username}@example.test", "/invitation/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome to the Frontier Review Portal"
    )
    expect(page.get_by_text(username, exact=True)).to_be_visible()
    set_new_password(page)
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_text("Your password is set.")).to_be_visible()


def test_an_invited_person_sets_a_password_and_signs_in(new_page, settings):
    admin = new_page()
    sign_in(admin, "admin")
    developer = admin_adds(admin, "northwind_dev")
    staff = admin_adds(admin, "caisi_newcomer")
    # Their places, as the admin's membership inline gives them.
    Membership.objects.create(
        user=developer,
        organization=Organization.objects.get(slug="northwind"),
        role=Membership.Role.SUBMITTER,
    )
    Membership.objects.create(
        user=staff, agency=Agency.objects.get(acronym="CAISI"), role=Membership.Role.REVIEWER
    )

    # An organization's person: from the link straight to the portal.
    own = new_page()
    accept_invitation(own, "northwind_dev")
    sign_in(own, "northwind_dev", NEW_PASSWORD)
    expect(own.get_by_role("button", name="Sign out")).to_be_visible()
    # The link works once.
    again = new_page()
    again.goto(link_in_mail("northwind_dev@example.test", "/invitation/"))
    expect(again.get_by_role("heading", level=1)).to_have_text("This invitation does not work")
    expect(again.get_by_role("button", name="Set password")).to_have_count(0)

    # Agency staff: two-step setup follows the first sign-in.
    settings.MFA_ENFORCED = True
    agency = new_page()
    accept_invitation(agency, "caisi_newcomer")
    agency.get_by_label("Username").fill("caisi_newcomer")
    agency.get_by_label("Password").fill(NEW_PASSWORD)
    agency.get_by_role("button", name="Sign in").click()
    expect(agency).to_have_url(re.compile(r"/account/two-step/setup"))
    expect(agency.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    # Nothing else opens before it is set up.
    agency.goto("/")
    expect(agency).to_have_url(re.compile(r"/account/two-step/setup"))


def test_a_forgotten_password_is_reset_by_email(new_page):
    page = new_page()
    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Email").fill("submitter@example.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(re.compile(r"/password-reset/sent"))

    link = link_in_mail("submitter@example.test", "/password-reset/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    set_new_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Password set")
    page.get_by_role("link", name="Sign in").last.click()

    sign_in(page, "submitter", NEW_PASSWORD)
    sign_in_fails(new_page(), "submitter", DEMO_PASSWORD)

    used = new_page()
    used.goto(link)
    expect(used.get_by_role("heading", level=1)).to_have_text("This link does not work")
    expect(used.get_by_role("button", name="Set password")).to_have_count(0)


def make_stale(page):
    """The browser's last sign-in was 16 minutes ago, past REAUTH_SECONDS."""
    cookie = next(
        c for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME
    )
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    store[session_policy.AUTHENTICATED_AT] = store[session_policy.AUTHENTICATED_AT] - 16 * 60
    store.save()


def test_a_stale_revoke_completes_after_confirming(new_page, fresh_case):
    case = fresh_case
    bank = Organization.objects.get(slug="first-harbor-bank")
    submitter = User.objects.get(username="submitter")
    grant = grant_access(actor=submitter, case_id=case.pk, operator=bank)

    developer = new_page()
    sign_in(developer, "submitter")
    developer.goto(f"/cases/{case.pk}/access/")
    make_stale(developer)

    revoke_form = developer.locator(f"form[action$='/grants/{grant.pk}/revoke']")
    developer.locator("summary", has_text="Revoke").click()
    revoke_form.get_by_label("Reason").fill("The bank's evaluation is finished.")
    understand(revoke_form)
    revoke_form.get_by_role("button", name="Revoke access").click()

    expect(developer).to_have_url(re.compile(r"/account/confirm"))
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.ACTIVE
    developer.get_by_label("Password").fill(DEMO_PASSWORD)
    developer.get_by_role("button", name="Confirm").click()

    expect(developer).to_have_url(re.compile(rf"/cases/{case.pk}/access/$"))
    expect(developer.get_by_text(f"Access for {bank} is closed.")).to_be_visible()
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.REVOKED
    assert grant.revocation_reason == "The bank's evaluation is finished."
    developer.reload()
    expect(developer.get_by_text("The bank's evaluation is finished.")).to_be_visible()
    expect(revoke_form).to_have_count(0)


def age_kept_actions(page, minutes: int):
    """What the browser's session keeps for after the confirmation was sent ``minutes`` ago."""
    cookie = next(
        c for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME
    )
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    kept = store[kept_actions.SESSION_KEY]
    for action in kept.values():
        action["at"] -= minutes * 60
    store[kept_actions.SESSION_KEY] = kept
    store.save()


def test_a_revoke_kept_too_long_comes_back_filled_in_and_is_sent_again(new_page, fresh_case):
    case = fresh_case
    bank = Organization.objects.get(slug="first-harbor-bank")
    submitter = User.objects.get(username="submitter")
    grant = grant_access(actor=submitter, case_id=case.pk, operator=bank)
    reason = "The bank's evaluation is finished."

    developer = new_page()
    sign_in(developer, "submitter")
    developer.goto(f"/cases/{case.pk}/access/")
    make_stale(developer)
    revoke_form = developer.locator(f"form[action$='/grants/{grant.pk}/revoke']")
    developer.locator("summary", has_text="Revoke").click()
    revoke_form.get_by_label("Reason").fill(reason)
    understand(revoke_form)
    revoke_form.get_by_role("button", name="Revoke access").click()
    expect(developer).to_have_url(re.compile(r"/account/confirm"))
    age_kept_actions(developer, minutes=6)  # the person went for coffee before confirming

    developer.get_by_label("Password").fill(DEMO_PASSWORD)
    developer.get_by_role("button", name="Confirm").click()

    expect(developer).to_have_url(re.compile(rf"/cases/{case.pk}/access/$"))
    expect(developer.get_by_text("so it was not done, and nothing changed")).to_be_visible()
    grant.refresh_from_db()
    assert grant.status == AccessGrant.Status.ACTIVE
    # The form is open again with the reason typed; the "I understand" box is ticked anew.
    expect(revoke_form.get_by_label("Reason")).to_have_value(reason)
    expect(revoke_form.get_by_role("checkbox")).not_to_be_checked()
    understand(revoke_form)
    revoke_form.get_by_role("button", name="Revoke access").click()

    expect(developer.get_by_text(f"Access for {bank} is closed.")).to_be_visible()
    grant.refresh_from_db()
    assert (grant.status, grant.revocation_reason) == (AccessGrant.Status.REVOKED, reason)
