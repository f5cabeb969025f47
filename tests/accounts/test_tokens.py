"""Personal access tokens in the browser: list mine, create (secret shown once), revoke."""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from portal.accounts.models import AccessToken
from portal.accounts.models.tokens import TokenRefused, digest_token
from portal.audit.models import AuditEvent

LIST_URL = reverse("portal:token_list")
CREATE_URL = reverse("portal:token_create")
BROWSER_IP = "192.0.2.44"


def revoke_url(token):
    return reverse("portal:token_revoke", args=[token.pk])


def shown_secret(response):
    match = re.search(rb'id="new-token">(frp_[\w-]+)<', response.content)
    return match.group(1).decode() if match else None


@pytest.fixture
def submitter_client(client, submitter):
    client.force_login(submitter)
    return client


def create_token(client, name="nightly upload script", days="30"):
    return client.post(CREATE_URL, {"name": name, "days": days}, REMOTE_ADDR=BROWSER_IP)


# --- the list -----------------------------------------------------------------


def test_the_page_lists_only_my_tokens(submitter_client, submitter, operator):
    AccessToken.create_for(submitter, name="upload script")
    AccessToken.create_for(operator, name="bank download job")

    response = submitter_client.get(LIST_URL)

    assert response.status_code == 200
    assert [t.name for t in response.context["tokens"]] == ["upload script"]
    assert b"upload script" in response.content
    assert b"bank download job" not in response.content


def test_anonymous_visitors_are_sent_to_sign_in(client, submitter):
    token, _ = AccessToken.create_for(submitter, name="upload script")

    for response in (
        client.get(LIST_URL),
        client.post(CREATE_URL, {"name": "sneaky"}),
        client.post(revoke_url(token)),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert AccessToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


# --- creating -----------------------------------------------------------------


def test_a_new_token_is_shown_exactly_once(submitter_client, submitter):
    response = create_token(submitter_client)

    assert response.status_code == 302
    assert response.url == LIST_URL
    first_view = submitter_client.get(LIST_URL)
    secret = shown_secret(first_view)
    assert secret is not None
    assert "Copy it now" in first_view.content.decode()

    second_view = submitter_client.get(LIST_URL)
    assert shown_secret(second_view) is None
    assert secret.encode() not in second_view.content
    assert b"nightly upload script" in second_view.content


def test_only_the_digest_of_a_new_token_is_stored(submitter_client, submitter):
    create_token(submitter_client)
    secret = shown_secret(submitter_client.get(LIST_URL))

    token = AccessToken.objects.get(user=submitter)
    assert token.digest == digest_token(secret)
    row = AccessToken.objects.values().get()
    assert not any(secret in str(value) for value in row.values())
    assert secret.startswith(token.prefix)
    # Once shown, the secret is gone from the session store too.
    assert not any(secret in str(s.get_decoded()) for s in Session.objects.all())
    hidden_part = secret[len(token.prefix) :]
    assert not any(hidden_part in e.canonical_content() for e in AuditEvent.objects.all())


def test_creating_a_token_sets_its_expiry_and_is_recorded(submitter_client, submitter):
    create_token(submitter_client, days="30")

    token = AccessToken.objects.get(user=submitter)
    assert (token.expires_at - token.created_at).days in {29, 30}
    event = AuditEvent.objects.get(action="token.created")
    assert (event.actor, event.ip) == (submitter, BROWSER_IP)
    assert event.target_id == str(token.pk)
    assert event.details["prefix"] == token.prefix
    assert event.details["name"] == "nightly upload script"


def test_a_token_without_days_expires_after_the_default(submitter_client, submitter):
    create_token(submitter_client, days="")

    token = AccessToken.objects.get(user=submitter)
    assert (token.expires_at - token.created_at).days in {
        settings.TOKEN_DEFAULT_DAYS - 1,
        settings.TOKEN_DEFAULT_DAYS,
    }
    assert token.scopes == ["cases:upload"]


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [
        ("", "30", "This field is required."),
        ("   ", "30", "This field is required."),
        ("upload\x07script", "30", "Use letters, digits, spaces and punctuation only."),
        ("line\nbreak", "30", "Use letters, digits, spaces and punctuation only."),
        ("x" * 101, "30", "Ensure this value has at most 100 characters (it has 101)."),
        ("upload script", "0", "A token expires after at least 1 day."),
        ("upload script", "-5", "A token expires after at least 1 day."),
        (
            "upload script",
            str(settings.TOKEN_MAX_DAYS + 1),
            f"A token expires after at most {settings.TOKEN_MAX_DAYS} days.",
        ),
        ("upload script", "thirty", "Enter a whole number."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(submitter_client, name, days, message):
    response = create_token(submitter_client, name=name, days=days)

    assert response.status_code == 400
    errors = [e for field_errors in response.context["form"].errors.values() for e in field_errors]
    assert errors == [message]
    assert message in response.content.decode()
    assert not AccessToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token.created").exists()


def test_a_hundred_character_name_is_accepted(submitter_client, submitter):
    response = create_token(submitter_client, name="x" * 100)

    assert response.status_code == 302
    assert AccessToken.objects.get(user=submitter).name == "x" * 100


# --- revoking -----------------------------------------------------------------


def test_revoking_my_token_stops_it_and_is_recorded(submitter_client, submitter):
    token, raw = AccessToken.create_for(submitter, name="upload script")

    response = submitter_client.post(revoke_url(token), REMOTE_ADDR=BROWSER_IP)

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.status == "revoked"
    assert not AccessToken.objects.usable().filter(digest=digest_token(raw)).exists()
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.actor, event.ip, event.target_id) == (submitter, BROWSER_IP, str(token.pk))
    page = submitter_client.get(LIST_URL).content.decode()
    assert "is revoked" in page
    assert revoke_url(token) not in page


def test_revoking_twice_records_one_revocation(submitter_client, submitter):
    token, _ = AccessToken.create_for(submitter, name="upload script")
    submitter_client.post(revoke_url(token))
    token.refresh_from_db()
    first_revoked_at = token.revoked_at

    submitter_client.post(revoke_url(token))

    token.refresh_from_db()
    assert token.revoked_at == first_revoked_at
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_revoking_someone_elses_token_is_not_found_and_changes_nothing(submitter_client, operator):
    theirs, _ = AccessToken.create_for(operator, name="bank download job")

    response = submitter_client.post(revoke_url(theirs))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert not AuditEvent.objects.filter(action="token.revoked").exists()


def test_revoking_needs_a_post(submitter_client, submitter):
    token, _ = AccessToken.create_for(submitter, name="upload script")

    response = submitter_client.get(revoke_url(token))

    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


# --- the model's own guard ------------------------------------------------------


@pytest.mark.parametrize("days", [0, -1, settings.TOKEN_MAX_DAYS + 1])
def test_create_for_refuses_an_expiry_out_of_range(submitter, days):
    """0 days must not silently mean a token that never expires."""
    with pytest.raises(TokenRefused, match="A token expires after 1 to 90 days"):
        AccessToken.create_for(submitter, name="upload script", days=days)

    assert not AccessToken.objects.exists()


def test_people_without_a_role_have_no_token_page(client, platform_admin, outsider):
    for person in (platform_admin, outsider):
        client.force_login(person)
        assert client.get(reverse("portal:token_list")).status_code == 403
        response = client.post(reverse("portal:token_create"), {"name": "sneaky"})
        assert response.status_code == 403
    assert not AccessToken.objects.exists()


# --- expiry and scopes ------------------------------------------------------------


def test_the_longest_expiry_is_90_days_and_more_is_refused_with_a_message(submitter_client):
    assert settings.TOKEN_MAX_DAYS == 90
    response = create_token(submitter_client, days="91")

    assert response.status_code == 400
    assert "A token expires after at most 90 days." in response.content.decode()
    assert not AccessToken.objects.exists()
    assert create_token(submitter_client, days="90").status_code == 302


def test_an_expired_token_is_listed_as_expired(submitter_client, submitter):
    from django.utils import timezone

    token, _ = AccessToken.create_for(submitter, name="old upload script", days=1)
    AccessToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timezone.timedelta(minutes=1)
    )

    page = submitter_client.get(LIST_URL).content.decode()

    assert '<span class="usa-tag">expired</span>' in page
    assert revoke_url(token) not in page


def test_the_page_lists_each_tokens_scopes(submitter_client, submitter):
    AccessToken.create_for(submitter, name="upload script")

    page = submitter_client.get(LIST_URL).content.decode()

    assert '<td data-label="Scopes"><code>cases:upload</code></td>' in page


def test_a_chosen_scope_is_stored_and_audited(submitter_client, submitter):
    response = submitter_client.post(
        CREATE_URL, {"name": "ci", "days": "7", "scopes": ["cases:upload"]}
    )

    assert response.status_code == 302
    assert AccessToken.objects.get(user=submitter).scopes == ["cases:upload"]
    assert AuditEvent.objects.get(action="token.created").details["scopes"] == ["cases:upload"]


@pytest.mark.parametrize("scope", ["grants:read", "frontier:read", "admin:all"])
def test_a_submitter_cannot_take_a_scope_of_another_role(submitter_client, scope):
    response = submitter_client.post(CREATE_URL, {"name": "ci", "scopes": [scope]})

    assert response.status_code == 400
    assert f"Your role may not hold the scope {scope}." in response.content.decode()
    assert not AccessToken.objects.exists()


def test_agency_staff_cannot_create_an_upload_scope(client, coordinator):
    from tests.security.auth_helpers import enrol

    enrol(coordinator)
    client.force_login(coordinator)
    _verify(client, coordinator)

    response = client.post(CREATE_URL, {"name": "monitor", "scopes": ["cases:upload"]})

    assert response.status_code == 400
    assert "Your role may not hold the scope cases:upload." in response.content.decode()
    assert not AccessToken.objects.exists()
    # The model refuses it too, whoever calls it.
    with pytest.raises(TokenRefused, match="may not hold the scope cases:upload"):
        AccessToken.create_for(coordinator, name="monitor", scopes=["cases:upload"])


def _verify(client, person):
    """Sign the session's second factor in, as the sign-in's code step does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=person).persistent_id
    session.save()


def test_agency_staff_create_a_read_token_only_after_a_fresh_two_step_confirmation(
    client, coordinator
):
    from urllib.parse import urlsplit

    from portal.accounts import session_policy
    from tests.conftest import PASSWORD
    from tests.security.auth_helpers import ago, code_for, enrol, set_session

    device, _ = enrol(coordinator)
    client.force_login(coordinator)
    _verify(client, coordinator)
    # Ten minutes since the sign-in: recent enough for other actions, not for a token.
    set_session(client, **{session_policy.AUTHENTICATED_AT: ago(minutes=10)})

    stale = client.post(CREATE_URL, {"name": "monitor"}, HTTP_REFERER=LIST_URL)

    assert stale.status_code == 302
    assert urlsplit(stale.url).path == reverse("reauthenticate")
    assert not AccessToken.objects.exists()
    without_code = client.post(reverse("reauthenticate"), {"password": PASSWORD, "next": LIST_URL})
    assert without_code.status_code == 200
    assert not AccessToken.objects.exists()
    confirmed = client.post(
        reverse("reauthenticate"),
        {"password": PASSWORD, "code": code_for(device), "next": LIST_URL},
    )
    assert confirmed.status_code == 302
    fresh = client.post(CREATE_URL, {"name": "monitor"}, HTTP_REFERER=LIST_URL)
    assert fresh.url == LIST_URL
    assert AccessToken.objects.get(user=coordinator).scopes == ["frontier:read"]


def test_a_privileged_session_without_its_second_factor_must_confirm(client, coordinator):
    from urllib.parse import urlsplit

    from tests.security.auth_helpers import enrol

    enrol(coordinator)
    client.force_login(coordinator)  # signed in just now, but no code in this session

    response = client.post(CREATE_URL, {"name": "monitor"}, HTTP_REFERER=LIST_URL)

    assert urlsplit(response.url).path == reverse("reauthenticate")
    assert not AccessToken.objects.exists()


def test_create_for_defaults_to_the_roles_scopes_and_the_default_expiry(
    submitter, operator, coordinator, platform_admin
):
    assert AccessToken.create_for(submitter, name="a")[0].scopes == ["cases:upload"]
    assert AccessToken.create_for(operator, name="b")[0].scopes == ["grants:read"]
    assert AccessToken.create_for(coordinator, name="c")[0].scopes == ["frontier:read"]
    assert AccessToken.create_for(platform_admin, name="d")[0].scopes == ["frontier:read"]
    token = AccessToken.objects.get(name="a")
    assert (token.expires_at - token.created_at).days in {29, 30}
