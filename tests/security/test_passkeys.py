"""Passkeys (WebAuthn): who may or must use one, and every refusal of the ceremonies.

The browser side (a real registration and sign-in, on Chromium's virtual
authenticator) is tests/e2e/test_passkeys.py.
"""

import base64
import json
import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from portal.accounts import mfa
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.auth_helpers import code_for, enrol, enter_code, make_stale, sign_in

PERSONAS = ("admin", "coordinator", "reviewer", "submitter", "operator")


def give_passkey(user, credential_id: bytes = b"credential-1") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Security key",
        confirmed=True,
        credential_id=credential_id,
        public_key=b"not-a-real-key",
    )


def post_json(client, name, data=None):
    return client.post(reverse(name), json.dumps(data or {}), content_type="application/json")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- the policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_by_default_agency_staff_and_admins_may_but_need_not_use_a_passkey(
    settings, personas, persona
):
    settings.MFA_PHISHING_RESISTANT_ROLES = []
    person = personas[persona]

    assert mfa.passkeys_allowed(person) == (persona in ("admin", "coordinator", "reviewer"))
    assert not mfa.passkey_required(person)
    assert not mfa.totp_refused(person, "123456")


@pytest.mark.parametrize(
    ("roles", "required"),
    [
        (["agency"], {"coordinator", "reviewer"}),
        (["admin"], {"admin"}),
        (["agency", "admin"], {"admin", "coordinator", "reviewer"}),
    ],
)
def test_the_setting_requires_passkeys_of_the_roles_it_names(settings, personas, roles, required):
    settings.MFA_PHISHING_RESISTANT_ROLES = roles

    assert {p for p in PERSONAS if mfa.passkey_required(personas[p])} == required
    for persona in required:
        assert mfa.totp_refused(personas[persona], "123 456")
        assert not mfa.totp_refused(personas[persona], "abcd-efgh-ijkl"), "recovery codes stay"


def _settings_error(**env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        env={**os.environ, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr


def test_an_unknown_role_in_the_setting_stops_start_up():
    assert "MFA_PHISHING_RESISTANT_ROLES" in _settings_error(
        MFA_PHISHING_RESISTANT_ROLES="agency,submitter"
    )


def test_a_relying_party_outside_allowed_hosts_stops_start_up():
    error = _settings_error(WEBAUTHN_RP_ID="portal.example.gov", ALLOWED_HOSTS="localhost")
    assert "WEBAUTHN_RP_ID" in error


# --- signing in ----------------------------------------------------------------------------


def test_by_default_the_authenticator_app_still_signs_in_agency_staff(client, coordinator):
    device, _codes = enrol(coordinator)
    give_passkey(coordinator)
    sign_in(client, "coordinator")

    assert enter_code(client, code_for(device)).status_code == 302
    assert client.session[SESSION_KEY] == str(coordinator.pk)


def test_an_app_code_is_refused_with_a_pointer_to_passkeys_when_they_are_required(
    client, settings, coordinator
):
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency"]
    device, _codes = enrol(coordinator)
    sign_in(client, "coordinator")

    response = enter_code(client, code_for(device))

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    html = response.content.decode()
    assert "codes from an authenticator app are not accepted" in html
    assert "recovery codes" in html


def test_a_recovery_code_then_leads_only_to_adding_a_passkey(client, settings, coordinator):
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency", "admin"]
    _device, codes = enrol(coordinator)
    sign_in(client, "coordinator")

    assert enter_code(client, codes[0]).status_code == 302
    assert client.session[SESSION_KEY] == str(coordinator.pk)
    home = client.get(reverse("password_change"))
    assert home.status_code == 302 and home["Location"] == reverse("mfa_overview")
    page = client.get(reverse("mfa_overview"))
    assert page.status_code == 200
    assert "Your role needs one" in page.content.decode()
    assert 'id="passkey-register-button"' in page.content.decode()

    give_passkey(coordinator)
    assert client.get(reverse("password_change")).status_code == 200


def test_confirming_a_sensitive_action_refuses_an_app_code_when_passkeys_are_required(
    client, settings, coordinator
):
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency"]
    device, _codes = enrol(coordinator)
    give_passkey(coordinator)
    client.force_login(coordinator)
    make_stale(client)

    response = client.post(
        reverse("reauthenticate"), {"password": PASSWORD, "code": code_for(device)}
    )

    assert response.status_code == 200
    assert "codes from an authenticator app are not accepted" in response.content.decode()


def test_the_passkey_step_needs_the_password_first(client, coordinator):
    give_passkey(coordinator)

    for name in ("passkey_sign_in_begin", "passkey_sign_in_complete"):
        response = post_json(client, name)
        assert response.status_code == 401
        assert response.json()["code"] == "sign_in_again"
    assert SESSION_KEY not in client.session


def test_the_passkey_step_offers_only_the_signing_in_persons_passkeys(
    client, coordinator, reviewer
):
    give_passkey(coordinator, b"coordinator-key")
    give_passkey(reviewer, b"reviewer-key")
    sign_in(client, "coordinator")

    options = post_json(client, "passkey_sign_in_begin").json()

    assert options["rpId"] == "localhost"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(b"coordinator-key")]
    assert SESSION_KEY not in client.session


def test_a_forged_passkey_answer_signs_nobody_in_and_counts_as_a_failure(client, coordinator):
    give_passkey(coordinator)
    sign_in(client, "coordinator")
    post_json(client, "passkey_sign_in_begin")

    response = post_json(
        client,
        "passkey_sign_in_complete",
        {"id": b64url(b"credential-1"), "rawId": b64url(b"credential-1"), "type": "public-key"},
    )

    assert 400 <= response.status_code < 500
    assert SESSION_KEY not in client.session
    assert client.session["auth_pending"]["attempts"] == 1
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").exists()


def test_anothers_passkey_cannot_finish_my_sign_in(client, coordinator, reviewer):
    give_passkey(coordinator, b"coordinator-key")
    give_passkey(reviewer, b"reviewer-key")
    sign_in(client, "coordinator")
    post_json(client, "passkey_sign_in_begin")

    response = post_json(
        client,
        "passkey_sign_in_complete",
        {
            "id": b64url(b"reviewer-key"),
            "rawId": b64url(b"reviewer-key"),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(b"{}"),
                "authenticatorData": b64url(b"x" * 37),
                "signature": b64url(b"sig"),
            },
        },
    )

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


# --- adding and removing -------------------------------------------------------------------


def test_registration_names_the_portal_as_relying_party(client, coordinator):
    client.force_login(coordinator)

    options = post_json(client, "passkey_registration_begin").json()

    assert options["rp"] == {"name": "Frontier Review Portal", "id": "localhost"}
    assert options["user"]["name"] == "coordinator"


@pytest.mark.parametrize("persona", ["submitter", "operator"])
def test_other_roles_cannot_add_a_passkey(client, personas, persona):
    client.force_login(personas[persona])

    response = post_json(client, "passkey_registration_begin")

    assert response.status_code == 403
    assert response.json()["code"] == "passkeys_not_for_role"
    assert "passkey-register-button" not in client.get(reverse("mfa_overview")).content.decode()


def test_adding_a_passkey_needs_a_recent_sign_in(client, coordinator):
    client.force_login(coordinator)
    make_stale(client)

    response = post_json(client, "passkey_registration_begin")

    assert response.status_code == 403
    assert response.json()["code"] == "confirm_first"
    page = client.get(reverse("mfa_overview")).content.decode()
    assert "Confirm it is you to add a passkey" in page


def test_adding_a_passkey_needs_the_existing_second_factor_used_first(client, coordinator):
    enrol(coordinator)
    client.force_login(coordinator)  # the password only: the code was never entered

    response = post_json(client, "passkey_registration_begin")

    assert response.status_code == 403
    assert WebAuthnCredential.objects.count() == 0


def test_removing_my_passkey_is_recorded(client, coordinator):
    passkey = give_passkey(coordinator)
    client.force_login(coordinator)

    response = client.post(reverse("passkey_remove", args=[passkey.pk]))

    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditEvent.objects.filter(action="mfa.passkey_removed").count() == 1


def test_someone_elses_passkey_is_not_found(client, coordinator, reviewer):
    passkey = give_passkey(reviewer)
    client.force_login(coordinator)

    response = client.post(reverse("passkey_remove", args=[passkey.pk]))

    assert response.status_code == 404
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_the_last_passkey_of_someone_who_needs_one_stays(client, settings, coordinator):
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency"]
    passkey = give_passkey(coordinator)
    client.force_login(coordinator)

    response = client.post(reverse("passkey_remove", args=[passkey.pk]), follow=True)

    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert "add another before removing your last one" in response.content.decode()


# --- confirming a sensitive action ---------------------------------------------------------


def test_confirming_with_a_passkey_needs_one(client, coordinator):
    client.force_login(coordinator)

    response = post_json(client, "passkey_confirm_begin")

    assert response.status_code == 403
    assert response.json()["code"] == "no_passkey"


def test_confirming_with_a_passkey_asks_for_its_screen_lock(client, coordinator):
    give_passkey(coordinator, b"coordinator-key")
    client.force_login(coordinator)

    options = post_json(client, "passkey_confirm_begin").json()

    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(b"coordinator-key")]


def test_a_passkey_just_used_stands_in_for_the_code_once(client, coordinator):
    enrol(coordinator)
    give_passkey(coordinator)
    client.force_login(coordinator)
    make_stale(client)
    page = client.get(reverse("reauthenticate")).content.decode()
    assert 'id="passkey-verification-button"' in page and 'name="code"' in page

    session = client.session
    session[mfa.PASSKEY_CONFIRMED] = time.time()
    session.save()
    page = client.get(reverse("reauthenticate")).content.decode()
    assert "Passkey confirmed" in page and 'name="code"' not in page
    assert client.post(reverse("reauthenticate"), {"password": PASSWORD}).status_code == 302
    assert mfa.PASSKEY_CONFIRMED not in client.session

    make_stale(client)
    again = client.post(reverse("reauthenticate"), {"password": PASSWORD})
    assert again.status_code == 200, "the passkey confirmed one confirmation only"


def test_an_old_passkey_confirmation_does_not_count(client, coordinator):
    enrol(coordinator)
    give_passkey(coordinator)
    client.force_login(coordinator)
    make_stale(client)
    session = client.session
    session[mfa.PASSKEY_CONFIRMED] = time.time() - 600
    session.save()

    assert client.post(reverse("reauthenticate"), {"password": PASSWORD}).status_code == 200


def test_someone_who_needs_a_passkey_and_has_nothing_is_sent_to_add_one(client, settings, reviewer):
    settings.MFA_ENFORCED = True
    settings.MFA_PHISHING_RESISTANT_ROLES = ["agency"]

    response = sign_in(client, "reviewer")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_overview"))
    assert client.get(reverse("password_change"))["Location"].startswith(reverse("mfa_overview"))
    setup = client.get(reverse("mfa_setup")).content.decode()
    assert "codes from an authenticator app are not accepted" in setup
