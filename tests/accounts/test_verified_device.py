"""The session's second-factor device, loaded on every signed-in request."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from portal.accounts.mfa import VerifiedDeviceMiddleware


def verify(user, persistent_id):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session[DEVICE_ID_SESSION_KEY] = persistent_id
    middleware = VerifiedDeviceMiddleware(lambda request: None)
    verified = middleware._verify_user_sync(request, user)
    return verified, request.session


def test_the_persons_own_confirmed_device_verifies_the_session(coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="app", confirmed=True)

    user, session = verify(coordinator, device.persistent_id)

    assert user.otp_device == device and user.is_verified()
    assert session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@pytest.mark.parametrize("whose", ["someone else's", "unconfirmed", "deleted"])
def test_any_other_device_verifies_nothing_and_leaves_the_session(coordinator, reviewer, whose):
    owner = reviewer if whose == "someone else's" else coordinator
    device = TOTPDevice.objects.create(user=owner, name="app", confirmed=whose != "unconfirmed")
    persistent_id = device.persistent_id
    if whose == "deleted":
        device.delete()

    user, session = verify(coordinator, persistent_id)

    assert user.otp_device is None and not user.is_verified()
    assert DEVICE_ID_SESSION_KEY not in session


@pytest.mark.parametrize(
    "persistent_id", ["accounts.user/1", "otp_totp.totpdevice/x", "nothing", "no_app.model/1"]
)
def test_a_made_up_device_id_verifies_nothing(coordinator, persistent_id):
    user, session = verify(coordinator, persistent_id)

    assert user.otp_device is None and not user.is_verified()
    assert DEVICE_ID_SESSION_KEY not in session


# --- through the middleware stack: the device comes with the person ------------------------


def signed_in_with(client, user, persistent_id):
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()
    return client


@override_settings(ROOT_URLCONF="portal.bench.urls")
def test_a_signed_in_request_loads_the_device_in_the_persons_query(client, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="app", confirmed=True)
    signed_in_with(client, coordinator, device.persistent_id)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("bench_trivial"))

    user = response.wsgi_request.user
    assert user.otp_device == device and user.is_verified()
    device_queries = [q["sql"] for q in queries.captured_queries if "otp_totp" in q["sql"]]
    assert len(device_queries) == 1 and '"accounts_user"' in device_queries[0]
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@override_settings(ROOT_URLCONF="portal.bench.urls")
@pytest.mark.parametrize("whose", ["someone else's", "unconfirmed", "deleted"])
def test_a_signed_in_request_with_any_other_device_is_not_verified(
    client, submitter, reviewer, whose
):
    owner = reviewer if whose == "someone else's" else submitter
    device = TOTPDevice.objects.create(user=owner, name="app", confirmed=whose != "unconfirmed")
    persistent_id = device.persistent_id
    if whose == "deleted":
        device.delete()
    signed_in_with(client, submitter, persistent_id)

    response = client.get(reverse("bench_trivial"))

    user = response.wsgi_request.user
    assert response.status_code == 200 and user == submitter
    assert user.otp_device is None and not user.is_verified()
    assert DEVICE_ID_SESSION_KEY not in client.session


@override_settings(ROOT_URLCONF="portal.bench.urls")
def test_a_passkey_verifies_the_session_too(client, coordinator):
    passkey = WebAuthnCredential.objects.create(
        user=coordinator, name="key", confirmed=True, credential_id=b"id", public_key=b"key"
    )
    signed_in_with(client, coordinator, passkey.persistent_id)

    response = client.get(reverse("bench_trivial"))

    assert response.wsgi_request.user.otp_device == passkey
