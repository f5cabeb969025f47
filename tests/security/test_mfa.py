"""Two-step sign-in: enrolment, the code step, replay, recovery codes, who must have it."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import mfa
from portal.accounts.admin_site import PortalAdminSite
from portal.accounts.forms import CODE_REFUSED
from portal.audit.models import AuditEvent
from tests.security.auth_helpers import code_for, enrol, enter_code, sign_in


@pytest.fixture
def mfa_on(settings):
    settings.MFA_ENFORCED = True
    return settings


# --- enrolment -----------------------------------------------------------------------------


def test_enrolment_shows_a_server_drawn_qr_code_and_the_secret(client, mfa_on, reviewer):
    client.force_login(reviewer)

    page = client.get(reverse("mfa_setup"))

    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed
    assert re.search(r"<svg[^>]*>", html), "the QR code is an inline SVG"
    assert mfa.secret_text(device) in html
    assert "<script>" not in html and "cdn" not in html.lower()
    # A reload shows the same secret: the app the person already scanned keeps working.
    assert mfa.secret_text(device) in client.get(reverse("mfa_setup")).content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_enrolment_confirms_with_a_code_and_shows_recovery_codes_once(client, mfa_on, reviewer):
    client.force_login(reviewer)
    client.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=reviewer)

    response = client.post(reverse("mfa_setup"), {"code": code_for(device)})

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = [t.token for t in StaticToken.objects.filter(device__user=reviewer)]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert all(code in response.content.decode() for code in codes)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("reviews:my_cases")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrolled").count() == 1


def test_a_wrong_code_does_not_confirm_the_authenticator(client, reviewer):
    client.force_login(reviewer)
    client.get(reverse("mfa_setup"))

    response = client.post(reverse("mfa_setup"), {"code": "000000"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=reviewer).confirmed
    assert not StaticToken.objects.exists()


# --- signing in with a code ------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_person_with_a_device(client, submitter):
    enrol(submitter)

    response = sign_in(client, "submitter")

    assert response.status_code == 302 and response.url == reverse("login_code")
    assert SESSION_KEY not in client.session
    assert client.get(reverse("portal:case_list")).status_code == 302


def test_sign_in_with_password_then_totp_code(client, mfa_on, coordinator):
    device, _ = enrol(coordinator)
    sign_in(client, "coordinator")

    response = enter_code(client, code_for(device))

    assert response.status_code == 302 and response.url == reverse("home")
    assert client.session[SESSION_KEY] == str(coordinator.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("reviews:agency_queue")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in").count() == 1


def test_a_wrong_code_is_refused_and_recorded(client, coordinator):
    device, _ = enrol(coordinator)
    sign_in(client, "coordinator")

    response = enter_code(client, code_for(device, steps=10))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [CODE_REFUSED]
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == 1


def test_a_replayed_code_is_refused(client, coordinator):
    device, _ = enrol(coordinator)
    code = code_for(device)
    sign_in(client, "coordinator")
    assert enter_code(client, code).status_code == 302
    device.refresh_from_db()
    assert device.last_t >= 0  # django-otp remembers the time step it accepted
    client.post(reverse("logout"))

    sign_in(client, "coordinator")
    replay = enter_code(client, code)

    assert replay.status_code == 200
    assert replay.context["form"].non_field_errors() == [CODE_REFUSED]
    assert SESSION_KEY not in client.session


def test_a_code_older_than_the_last_accepted_one_is_refused(client, coordinator):
    device, _ = enrol(coordinator)
    sign_in(client, "coordinator")
    enter_code(client, code_for(device))
    client.post(reverse("logout"))

    sign_in(client, "coordinator")

    assert enter_code(client, code_for(device, steps=-1)).status_code == 200
    assert SESSION_KEY not in client.session


def test_a_recovery_code_works_once(client, mfa_on, coordinator):
    _, codes = enrol(coordinator)
    sign_in(client, "coordinator")

    first = enter_code(client, codes[0].upper())

    assert first.status_code == 302
    assert client.session[SESSION_KEY] == str(coordinator.pk)
    assert mfa.recovery_codes_left(coordinator) == mfa.RECOVERY_CODE_COUNT - 1
    client.post(reverse("logout"))

    sign_in(client, "coordinator")
    again = enter_code(client, codes[0])

    assert again.status_code == 200
    assert SESSION_KEY not in client.session
    StaticDevice.objects.get(user=coordinator).throttle_reset()  # django-otp slows down retries
    assert enter_code(client, codes[1]).status_code == 302


def test_after_a_recovery_code_a_new_authenticator_can_be_set_up(client, mfa_on, coordinator):
    old, codes = enrol(coordinator)
    sign_in(client, "coordinator")
    enter_code(client, codes[0])

    client.get(reverse("mfa_setup"))
    new = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    client.post(reverse("mfa_setup"), {"code": code_for(new)})

    assert list(TOTPDevice.objects.filter(user=coordinator)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert mfa.recovery_codes_left(coordinator) == mfa.RECOVERY_CODE_COUNT - 1


def test_new_recovery_codes_replace_the_old_ones(client, coordinator):
    _, old_codes = enrol(coordinator)
    sign_in(client, "coordinator")
    enter_code(client, old_codes[0])

    response = client.post(reverse("mfa_recovery_codes"))

    new_codes = [t.token for t in StaticToken.objects.filter(device__user=coordinator)]
    assert len(new_codes) == mfa.RECOVERY_CODE_COUNT
    assert all(code in response.content.decode() for code in new_codes)
    assert not set(old_codes) & set(new_codes)


def test_the_code_step_needs_a_password_first(client, coordinator):
    enrol(coordinator)
    response = enter_code(client, "123456")
    assert response.status_code == 302 and response.url == reverse("login")


def test_the_code_step_expires(client, settings, coordinator):
    device, _ = enrol(coordinator)
    sign_in(client, "coordinator")
    session = client.session
    session["auth_pending"]["at"] -= settings.MFA_PENDING_SECONDS + 1
    session.save()

    response = enter_code(client, code_for(device))

    assert response.url == reverse("login")
    assert SESSION_KEY not in client.session


def test_five_wrong_codes_start_the_sign_in_over(client, coordinator):
    device, _ = enrol(coordinator)
    sign_in(client, "coordinator")
    for _ in range(5):
        enter_code(client, "999999")

    response = enter_code(client, code_for(device))

    assert response.url == reverse("login")
    assert SESSION_KEY not in client.session


# --- who must have it ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "reviewer", "admin"])
def test_staff_without_a_device_are_sent_to_enrol_and_reach_nothing_else(
    client, mfa_on, personas, persona
):
    person = personas[persona]

    after_password = sign_in(client, person.username)

    assert after_password.url.startswith(reverse("mfa_setup"))
    assert client.session[SESSION_KEY] == str(person.pk)
    for url in [reverse("home"), reverse("portal:token_list"), reverse("admin:index")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("mfa_setup")), url
    assert client.get(reverse("mfa_setup")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_enforcement_off_lets_staff_in_without_a_device(client, settings, coordinator):
    settings.MFA_ENFORCED = False
    assert sign_in(client, "coordinator").url == reverse("home")
    assert client.get(reverse("reviews:agency_queue")).status_code == 200


@pytest.mark.parametrize("persona", ["submitter", "operator"])
def test_others_may_but_need_not_enrol(client, mfa_on, personas, persona):
    assert sign_in(client, persona).url == reverse("home")
    assert client.get(reverse("mfa_overview")).status_code == 200


def test_a_session_that_skipped_the_code_is_ended(client, mfa_on, coordinator):
    enrol(coordinator)
    client.force_login(coordinator)  # as if signed in with the password alone

    response = client.get(reverse("reviews:agency_queue"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session


# --- the admin -----------------------------------------------------------------------------


def test_the_admin_requires_a_verified_session(client, mfa_on, platform_admin):
    device, _ = enrol(platform_admin)
    client.force_login(platform_admin)
    assert client.get(reverse("admin:index")).status_code == 302

    sign_in(client, "admin")
    enter_code(client, code_for(device))

    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_staff_session(mfa_on, platform_admin):
    request = RequestFactory().get("/admin/")
    request.user = platform_admin
    site = PortalAdminSite()
    platform_admin.is_verified = lambda: False
    assert not site.has_permission(request)
    platform_admin.is_verified = lambda: True
    assert site.has_permission(request)


def test_the_admin_has_no_password_only_sign_in_page(client, db):
    response = client.get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/admin/"


# --- demo users ----------------------------------------------------------------------------


def test_demo_totp_prints_the_code_a_demo_authenticator_accepts(client, coordinator, capsys):
    mfa.demo_authenticator(coordinator)
    call_command("demo_totp", "coordinator")
    code = capsys.readouterr().out.strip()

    sign_in(client, "coordinator")

    assert enter_code(client, code).status_code == 302


def test_demo_totp_never_prints_a_real_persons_code(coordinator):
    enrol(coordinator)
    with pytest.raises(CommandError):
        call_command("demo_totp", "coordinator")
