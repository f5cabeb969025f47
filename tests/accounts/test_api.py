"""The bearer-token API: scripts get JSON, and a 401 (never a sign-in page) when refused."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import AccessToken

ME_URL = reverse("api_me")


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_refused(response, message):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'Bearer realm="portal"'
    assert response.json() == {"error": message}
    assert "Location" not in response


@pytest.fixture
def submitter_token(submitter):
    return AccessToken.create_for(submitter, name="upload script", days=30)


def test_a_valid_token_says_who_it_belongs_to(client, submitter, submitter_token):
    token, raw = submitter_token
    before = timezone.now()

    response = client.get(ME_URL, **bearer(raw))

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "submitter"
    assert body["role"] == "submitter"
    assert body["unit"] == "Northwind Labs"
    assert body["token"]["name"] == "upload script"
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at >= before


def test_last_used_is_written_at_most_once_a_minute(client, submitter_token):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token, raw = submitter_token
    client.get(ME_URL, **bearer(raw))
    token.refresh_from_db()
    first = token.last_used_at
    with CaptureQueriesContext(connection) as queries:
        client.get(ME_URL, **bearer(raw))
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    # A minute later the next request writes it again.
    type(token).objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(ME_URL, **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_the_scheme_is_case_insensitive(client, submitter_token):
    _, raw = submitter_token

    response = client.get(ME_URL, HTTP_AUTHORIZATION=f"bearer {raw}")

    assert response.status_code == 200


def test_a_person_without_a_unit_gets_no_unit(client, outsider):
    _, raw = AccessToken.create_for(outsider, name="probe")

    body = client.get(ME_URL, **bearer(raw)).json()

    assert (body["username"], body["role"], body["unit"]) == ("outsider", None, None)


def test_a_browser_session_is_not_enough(client, submitter, submitter_token):
    client.force_login(submitter)

    response = client.get(ME_URL)

    assert_refused(response, "Send a personal access token: Authorization: Bearer <token>.")


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer   ", "Basic c3VibWl0dGVyOnB3", "Token {raw}", "{raw}"],
)
def test_a_missing_or_malformed_header_is_refused(client, submitter_token, header):
    token, raw = submitter_token
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header.format(raw=raw)}

    response = client.get(ME_URL, **extra)

    assert_refused(response, "Send a personal access token: Authorization: Bearer <token>.")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_an_unknown_token_is_refused(client, submitter_token):
    _, raw = submitter_token

    assert_refused(client.get(ME_URL, **bearer(raw + "x")), "The token is not valid.")


def test_a_revoked_token_is_refused(client, submitter_token):
    token, raw = submitter_token
    token.revoked_at = timezone.now()
    token.save()

    assert_refused(client.get(ME_URL, **bearer(raw)), "The token is revoked.")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_an_expired_token_is_refused(client, submitter_token):
    token, raw = submitter_token
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()

    assert_refused(client.get(ME_URL, **bearer(raw)), "The token is expired.")


def test_the_token_of_a_deactivated_person_is_refused(client, submitter, submitter_token):
    _, raw = submitter_token
    submitter.is_active = False
    submitter.save()

    assert_refused(client.get(ME_URL, **bearer(raw)), "The token is not valid.")


def test_other_methods_get_405_json(client, submitter_token):
    _, raw = submitter_token

    response = client.post(ME_URL, **bearer(raw))

    assert response.status_code == 405
    assert response.json() == {"error": "Use GET."}
    assert response["Allow"] == "GET"


def test_a_post_without_a_token_is_refused_not_redirected(client, db):
    assert_refused(
        client.post(ME_URL), "Send a personal access token: Authorization: Bearer <token>."
    )
