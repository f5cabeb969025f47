"""The session's second-factor device, loaded on every signed-in request."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

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
