"""A platform admin adds an agency and a person in Django admin; an agency person signs
in with a password and a TOTP code when two-step sign-in is enforced."""

import re

from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from portal.accounts.mfa import demo_authenticator
from portal.accounts.models import Agency, Membership, User
from tests.e2e.conftest import DEMO_PASSWORD, screenshot, sign_in


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(code).zfill(device.digits)


def test_admin_adds_an_agency_and_a_person(new_page):
    page = new_page()
    sign_in(page, "admin")
    page.goto("/admin/")
    screenshot(page, "admin-index")

    page.goto("/admin/accounts/agency/add/")
    page.get_by_label("Name").fill("Department of Energy")
    page.get_by_label("Acronym").fill("DOE")
    page.get_by_label("Slug").fill("doe")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    agency = Agency.objects.get(acronym="DOE")

    # No password is typed: the person gets an invitation to set their own.
    page.goto("/admin/accounts/user/add/")
    page.get_by_label("Username").fill("doe_reviewer")
    page.get_by_label("Email address").fill("doe_reviewer@example.test")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    person = User.objects.get(username="doe_reviewer")
    assert not person.has_usable_password()
    invitation = next(m for m in mail.outbox if m.to == ["doe_reviewer@example.test"])
    link = re.search(r"https?://\S+/invitation/\S+/", invitation.body).group(0)

    # The person sets their password from the link, in a browser of their own.
    own = new_page()
    own.goto("/" + link.split("://", 1)[1].split("/", 1)[1])
    own.locator("#id_new_password1").fill("a-long-passphrase-for-doe-2026")
    own.locator("#id_new_password2").fill("a-long-passphrase-for-doe-2026")
    own.get_by_role("button", name="Set password").click()
    expect(own).to_have_url(re.compile(r"/login/"))
    person.refresh_from_db()
    assert person.check_password("a-long-passphrase-for-doe-2026")

    # Their membership: the inline on the person's page (autocomplete widgets).
    page.goto(f"/admin/accounts/user/{person.pk}/change/")
    inline = page.locator("#membership-group, [id$='membership-group']").first
    inline.locator(".field-agency .select2-selection").first.click()
    page.locator(".select2-search__field").fill("DOE")
    page.locator(".select2-results__option", has_text="DOE").click()
    page.locator("#id_membership-0-role").select_option(Membership.Role.REVIEWER)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    membership = Membership.objects.get(user=person)
    assert membership.agency == agency and membership.role == Membership.Role.REVIEWER


def test_agency_person_signs_in_with_a_totp_code(new_page, settings):
    settings.MFA_ENFORCED = True
    device = demo_authenticator(User.objects.get(username="coordinator"))

    page = new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/code"))
    page.get_by_label("Authentication code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CAISI queue")
