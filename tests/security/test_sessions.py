"""Session limits by role, deactivation, the session key and the authentication time."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.accounts import session_policy
from portal.accounts.models import AccessToken
from tests.security.auth_helpers import code_for, enrol, enter_code, set_session, sign_in

PRIVILEGED = ["coordinator", "reviewer", "admin"]
STANDARD = ["submitter", "operator"]


@pytest.fixture
def clock(monkeypatch):
    """``timezone.now`` moved on by hand."""

    class Clock:
        offset = timedelta()

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    moved = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + moved.offset)
    return moved


def page_for(persona):
    return reverse("admin:index") if persona == "admin" else reverse("home")


def still_signed_in(client, persona) -> bool:
    response = client.get(page_for(persona))
    return SESSION_KEY in client.session and not (
        response.status_code == 302 and response.url.startswith(reverse("login"))
    )


@pytest.mark.parametrize(
    ("persona", "idle_minutes"),
    [*((p, 15) for p in PRIVILEGED), *((p, 60) for p in STANDARD)],
)
def test_a_session_ends_after_its_roles_idle_time(client, personas, clock, persona, idle_minutes):
    client.force_login(personas[persona])

    clock.advance(minutes=idle_minutes - 1)
    assert still_signed_in(client, persona)
    clock.advance(minutes=idle_minutes - 1)  # active a moment ago: the idle time starts again
    assert still_signed_in(client, persona)
    clock.advance(minutes=idle_minutes, seconds=1)
    assert not still_signed_in(client, persona)


@pytest.mark.parametrize(
    ("persona", "hours"), [*((p, 12) for p in PRIVILEGED), *((p, 24) for p in STANDARD)]
)
def test_a_session_ends_after_its_roles_absolute_lifetime(client, personas, persona, hours):
    client.force_login(personas[persona])
    now = timezone.now().timestamp()
    set_session(client, **{session_policy.SIGNED_IN_AT: now - hours * 3600 + 60})
    assert still_signed_in(client, persona)

    set_session(client, **{session_policy.SIGNED_IN_AT: now - hours * 3600 - 1})
    assert not still_signed_in(client, persona)


def test_an_ended_session_goes_to_sign_in_with_next_and_a_message(client, reviewer, clock):
    client.force_login(reviewer)
    clock.advance(minutes=16)

    response = client.get(reverse("reviews:my_cases"), follow=True)

    assert response.redirect_chain[0][0] == f"{reverse('login')}?next={reverse('reviews:my_cases')}"
    assert "without activity" in response.content.decode()


def test_a_stale_post_after_idle_time_changes_nothing(client, operator, clock):
    client.force_login(operator)
    clock.advance(minutes=61)

    response = client.post(reverse("portal:token_create"), {"name": "late script"})

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not AccessToken.objects.filter(user=operator).exists()


def test_deactivating_a_person_deletes_their_sessions(reviewer):
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.force_login(reviewer)
    assert Session.objects.count() == 2

    reviewer.is_active = False
    reviewer.save()

    assert Session.objects.count() == 0
    for browser in browsers:
        response = browser.get(reverse("reviews:my_cases"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.cached_db", "portal.accounts.sessions"]
)
def test_deactivating_a_person_deletes_their_sessions_from_the_cache_too(
    reviewer, settings, engine
):
    settings.SESSION_ENGINE = engine
    browser = Client()
    browser.force_login(reviewer)
    key = browser.session.session_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert store(key).load()  # read once: now in the cache as well

    assert session_policy.end_sessions_of(reviewer) == 1

    assert not Session.objects.filter(session_key=key).exists()
    assert store(key).load() == {}  # neither the row nor a cached copy is left


def test_a_deactivated_persons_session_is_refused_and_deleted_on_its_next_request(
    client, reviewer, monkeypatch
):
    client.force_login(reviewer)
    key = client.session.session_key
    monkeypatch.setattr(session_policy, "end_sessions_of", lambda user: 0)  # no eager clean-up
    reviewer.is_active = False
    reviewer.save()
    assert Session.objects.filter(session_key=key).exists()

    response = client.get(reverse("reviews:my_cases"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()


def test_the_session_key_rotates_at_each_step_of_sign_in(client, coordinator):
    device, _ = enrol(coordinator)
    client.get(reverse("login"))
    set_session(client, planted="yes")
    planted = client.session.session_key

    sign_in(client, "coordinator")
    after_password = client.session.session_key
    enter_code(client, code_for(device))
    signed_in = client.session.session_key

    assert client.session[SESSION_KEY] == str(coordinator.pk)
    assert signed_in not in {planted, after_password}


def test_sign_in_records_when_the_person_authenticated(client, submitter):
    before = timezone.now().timestamp()
    sign_in(client, "submitter")
    session = client.session
    assert before <= session[session_policy.AUTHENTICATED_AT] <= timezone.now().timestamp()
    assert session[session_policy.SIGNED_IN_AT] == session[session_policy.AUTHENTICATED_AT]
    assert session[session_policy.TIER] == session_policy.STANDARD
