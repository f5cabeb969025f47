"""Helpers for the sign-in security tests: enrolled people, codes, moving the clock."""

import time

from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import mfa, session_policy
from tests.conftest import PASSWORD


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Give ``user`` a confirmed authenticator and a set of recovery codes."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return device, mfa.new_recovery_codes(user)


def code_for(device: TOTPDevice, *, steps: int = 0) -> str:
    """The code the authenticator shows now (or ``steps`` time steps away)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():06d}"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def enter_code(client, code, **extra):
    return client.post(reverse("login_code"), {"code": code}, **extra)


def set_session(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def ago(**delta) -> float:
    return (timezone.now() - timezone.timedelta(**delta)).timestamp()


def make_stale(client):
    """The last sign-in or confirmation was 16 minutes ago."""
    set_session(client, **{session_policy.AUTHENTICATED_AT: ago(minutes=16)})
