"""Sign-in throttling: per (username, address), per username, never per address by default.

The policy (portal.accounts.lockout, docs/security.md): a username is locked
from one address after SIGN_IN_FAILURE_LIMIT failures, from every address after
SIGN_IN_USERNAME_FAILURE_LIMIT; an address is locked for every username only
when SIGN_IN_ADDRESS_FAILURE_LIMIT says so. A locked sign-in runs the hasher.
"""

import io
import re
import statistics
import time
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from portal.accounts import lockout
from portal.accounts.forms import SIGN_IN_REFUSED
from portal.audit.models import AuditEvent
from portal.core.network import client_ip
from tests.conftest import PASSWORD, make_person
from tests.security.auth_helpers import code_for, enrol, enter_code, sign_in

LIMIT = 3
USERNAME_LIMIT = 6


@pytest.fixture(autouse=True)
def throttling_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.SIGN_IN_USERNAME_FAILURE_LIMIT = USERNAME_LIMIT
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 0


def fail(client, username, **extra):
    return sign_in(client, username, "not the password", **extra)


def signed_in(response, client) -> bool:
    return response.status_code == 302 and SESSION_KEY in client.session


def page_text(response, username):
    html = response.content.decode().replace(f'value="{username}"', 'value="…"')
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def test_a_username_is_locked_out_from_the_guessing_address_only(client, reviewer):
    for _ in range(LIMIT):
        fail(client, "reviewer", REMOTE_ADDR="198.51.100.7")

    from_there = sign_in(client, "reviewer", REMOTE_ADDR="198.51.100.7")
    assert from_there.status_code == 200 and SESSION_KEY not in client.session
    assert from_there.context["form"].non_field_errors() == [SIGN_IN_REFUSED]

    assert signed_in(sign_in(client, "reviewer", REMOTE_ADDR="203.0.113.50"), client)


def test_a_username_is_locked_out_everywhere_after_the_higher_limit(client, reviewer):
    for n in range(USERNAME_LIMIT - 1):
        fail(client, "reviewer", REMOTE_ADDR=f"198.51.100.{n + 1}")
    assert signed_in(sign_in(client, "reviewer", REMOTE_ADDR="203.0.113.50"), client)
    client.logout()
    # That sign-in forgot only its own address's failures: one more guess elsewhere locks.
    fail(client, "reviewer", REMOTE_ADDR="198.51.100.100")

    response = sign_in(client, "reviewer", REMOTE_ADDR="203.0.113.51")

    assert response.status_code == 200 and SESSION_KEY not in client.session
    lockouts = AuditEvent.objects.filter(action="auth.locked_out")
    assert {tuple(event.details["counters"]) for event in lockouts} == {("username",)}


def test_below_the_limit_the_right_password_still_works(client, reviewer):
    for _ in range(LIMIT - 1):
        fail(client, "reviewer")
    assert sign_in(client, "reviewer").status_code == 302


def test_an_address_is_not_locked_out_for_other_usernames(client, reviewer):
    """One client behind a shared NAT guessing at many names locks nobody else out."""
    for n in range(USERNAME_LIMIT * 2):
        fail(client, f"guess{n}", REMOTE_ADDR="198.51.100.7")

    assert signed_in(sign_in(client, "reviewer", REMOTE_ADDR="198.51.100.7"), client)
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_an_address_limit_when_set_locks_the_address_for_every_username(client, settings, reviewer):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 4
    for n in range(4):
        fail(client, f"guess{n}", REMOTE_ADDR="198.51.100.7")

    from_there = sign_in(client, "reviewer", REMOTE_ADDR="198.51.100.7")
    assert from_there.status_code == 200 and SESSION_KEY not in client.session

    assert signed_in(sign_in(client, "reviewer", REMOTE_ADDR="198.51.100.8"), client)


def test_signing_in_to_ones_own_account_does_not_wipe_guesses_at_others(client, reviewer, db):
    make_person("attacker")
    for _ in range(LIMIT - 1):
        fail(client, "reviewer", REMOTE_ADDR="198.51.100.7")
    assert signed_in(sign_in(client, "attacker", REMOTE_ADDR="198.51.100.7"), client)
    client.logout()

    fail(client, "reviewer", REMOTE_ADDR="198.51.100.7")

    locked = sign_in(client, "reviewer", REMOTE_ADDR="198.51.100.7")
    assert locked.status_code == 200 and SESSION_KEY not in client.session


def test_a_lockout_reads_exactly_like_a_wrong_password(client, reviewer):
    wrong = fail(client, "reviewer")
    for _ in range(LIMIT):
        fail(client, "reviewer")

    locked = sign_in(client, "reviewer")  # the right password, refused

    assert locked.status_code == wrong.status_code == 200
    assert page_text(locked, "reviewer") == page_text(wrong, "reviewer")
    assert "locked" not in locked.content.decode().lower()


def test_a_lockout_is_audited(client, reviewer):
    for _ in range(LIMIT):
        fail(client, "reviewer", REMOTE_ADDR="198.51.100.9")

    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.details == {"username": "reviewer", "counters": ["pair"]}
    assert event.ip == "198.51.100.9"
    assert event.actor is None


def test_wrong_codes_count_towards_the_lockout(client, coordinator):
    device, _ = enrol(coordinator)
    for _ in range(LIMIT):
        sign_in(client, "coordinator")
        enter_code(client, "000000")

    sign_in(client, "coordinator")
    response = enter_code(client, code_for(device))

    assert SESSION_KEY not in client.session
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


# --- lifting a lockout ---------------------------------------------------------------------


def test_the_lift_lockout_command_lets_the_person_in_and_is_audited(client, reviewer):
    for _ in range(LIMIT):
        fail(client, "reviewer")
    assert sign_in(client, "reviewer").status_code == 200

    output = io.StringIO()
    call_command("lift_lockout", "--username", "reviewer", "--ip", "127.0.0.1", stdout=output)

    assert output.getvalue().strip() == "Lifted: 1 failed sign-in record removed."
    assert sign_in(client, "reviewer").status_code == 302
    assert AuditEvent.objects.get(action="auth.lockout_lifted").details["username"] == "reviewer"


def test_an_admin_lifts_a_lockout_in_the_admin(client, admin_client, reviewer):
    for _ in range(LIMIT):
        fail(client, "reviewer")
    attempt = AccessAttempt.objects.get(username="reviewer")

    admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="auth.lockout_lifted").exists()
    assert sign_in(client, "reviewer").status_code == 302


# --- the client's address ------------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("198.51.100.1", "203.0.113.9")) == "198.51.100.1"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),
        # The client wrote the left part itself: only the hop the proxy saw counts.
        ("10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        # Two trusted proxies in a row.
        ("10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        # An untrusted peer's header is not believed.
        ("198.51.100.1", "203.0.113.9", "198.51.100.1"),
        # No header: the proxy itself.
        ("10.0.0.1", None, "10.0.0.1"),
        # Garbage where the client should be: stop at the last trusted hop.
        ("10.0.0.1", "not-an-address", "10.0.0.1"),
        ("2001:db8::1", "203.0.113.9", "2001:db8::1"),
    ],
)
def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    settings, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip(request_from(remote, forwarded)) == expected


def test_a_forged_x_forwarded_for_does_not_escape_an_address_lockout(client, settings, db):
    settings.TRUSTED_PROXIES = []
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = LIMIT
    make_person("victim")
    for n in range(LIMIT):
        fail(client, f"guess{n}", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = sign_in(
        client, "victim", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.200"
    )

    assert response.status_code == 200 and SESSION_KEY not in client.session
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(client, settings, db):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = LIMIT
    make_person("victim")
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(LIMIT):
        fail(client, f"guess{n}", HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy)

    attacker = sign_in(client, "victim", HTTP_X_FORWARDED_FOR="203.0.113.7", **via_proxy)
    assert attacker.status_code == 200 and SESSION_KEY not in client.session
    event = AuditEvent.objects.filter(action="auth.locked_out").first()
    assert event.ip == "203.0.113.7"

    neighbour = sign_in(client, "victim", HTTP_X_FORWARDED_FOR="198.51.100.20", **via_proxy)
    assert neighbour.status_code == 302


# --- a locked sign-in costs what a wrong password costs -------------------------------------


def test_a_locked_sign_in_runs_the_password_hasher(client, reviewer):
    for _ in range(LIMIT):
        fail(client, "reviewer")

    with mock.patch.object(lockout, "make_password", wraps=make_password) as hasher:
        response = sign_in(client, "reviewer")

    assert response.status_code == 200 and SESSION_KEY not in client.session
    hasher.assert_called_once_with(PASSWORD)


def test_a_locked_sign_in_takes_about_as_long_as_a_wrong_password(client, db):
    """With the production hasher (Argon2): the lockout cannot be told by timing."""
    timed = make_person("timed")
    timed.password = make_password(PASSWORD)  # Argon2, not the fixtures' fast hash
    timed.save(update_fields=["password"])

    def seconds(address, password):
        started = time.perf_counter()
        sign_in(client, "timed", password, REMOTE_ADDR=address)
        return time.perf_counter() - started

    wrong = [seconds("198.51.100.1", "not the password") for _ in range(LIMIT - 1)]
    fail(client, "timed", REMOTE_ADDR="198.51.100.1")  # now locked from there
    locked = [seconds("198.51.100.1", PASSWORD) for _ in range(3)]

    assert statistics.median(locked) > 0.5 * statistics.median(wrong)
