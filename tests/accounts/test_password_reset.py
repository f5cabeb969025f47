"""Resetting a forgotten password by email: once, before it expires, within the hourly limits."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase of some length"


@pytest.fixture(autouse=True)
def fresh_counters():
    caches["limits"].clear()
    yield
    caches["limits"].clear()


def ask(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def link_in(message) -> str:
    return re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def set_password(client, link, password=NEW_PASSWORD):
    """Follow the link (Django moves the token into the session) and post the form."""
    response = client.get(path_of(link))
    if response.status_code != 302:
        return response
    return client.post(response.url, {"new_password1": password, "new_password2": password})


def test_the_sign_in_page_links_to_the_reset(client, db):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_a_known_address_gets_a_link_that_sets_the_password(client, reviewer):
    response = ask(client, "REVIEWER@example.test")
    assert response.status_code == 302 and response.url == reverse("password_reset_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reviewer@example.test"]

    response = set_password(Client(), link_in(mail.outbox[0]))
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")
    reviewer.refresh_from_db()
    assert reviewer.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="auth.password_reset_requested", target_id=str(reviewer.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action="auth.password_reset_completed", target_id=str(reviewer.pk)
    ).exists()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, reviewer):
    known = ask(client, "reviewer@example.test")
    unknown = ask(Client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1


def test_a_used_link_no_longer_works(client, reviewer):
    ask(client, "reviewer@example.test")
    link = link_in(mail.outbox[0])
    set_password(Client(), link)

    response = set_password(Client(), link, "yet another long passphrase here")
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(NEW_PASSWORD)


def test_an_expired_link_changes_nothing(client, reviewer, settings):
    ask(client, "reviewer@example.test")
    link = link_in(mail.outbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1

    response = set_password(Client(), link)
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_a_forged_link_changes_nothing(client, reviewer):
    ask(client, "reviewer@example.test")
    link = link_in(mail.outbox[0])
    forged = re.sub(r"/([^/]+)/$", "/1a2-0123456789abcdef0123/", link)

    response = set_password(Client(), forged)
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_reset_completed").exists()


def test_requests_are_limited_by_address_and_the_refusal_looks_the_same(client, reviewer, settings):
    settings.PASSWORD_RESET_PER_HOUR = 2
    answers = [ask(Client(), "reviewer@example.test") for _ in range(3)]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_sent"))}
    assert len(mail.outbox) == 2
    # Another spelling of the same address counts against the same limit.
    ask(Client(), " Reviewer@Example.TEST ")
    assert len(mail.outbox) == 2
    refused = AuditEvent.objects.filter(action="auth.password_reset_requested")
    assert [event.details["sent"] for event in refused.order_by("pk")] == [
        True,
        True,
        False,
        False,
    ]


def test_requests_are_limited_by_account(client, reviewer, settings):
    settings.PASSWORD_RESET_PER_HOUR = 1
    ask(client, "reviewer@example.test")
    # The same account through a second address (two accounts may share none,
    # so change it): the account's own counter refuses.
    reviewer.email = "reviewer.other@example.test"
    reviewer.save(update_fields=["email"])
    ask(Client(), "reviewer.other@example.test")
    assert len(mail.outbox) == 1


def test_setting_the_password_ends_the_other_sessions(client, reviewer):
    elsewhere = Client()
    elsewhere.force_login(reviewer)
    assert Session.objects.count() == 1

    ask(client, "reviewer@example.test")
    set_password(Client(), link_in(mail.outbox[0]))

    sessions = [s.get_decoded() for s in Session.objects.all()]
    assert not any(s.get(SESSION_KEY) == str(reviewer.pk) for s in sessions)
    response = elsewhere.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_deactivated_account_gets_no_mail(client, reviewer):
    reviewer.is_active = False
    reviewer.save()
    ask(client, "reviewer@example.test")
    assert mail.outbox == []


def test_the_hourly_limit_holds_across_processes(db, settings):
    """Another process (another web worker) sees the same counter: the "limits" cache."""
    import os
    import subprocess
    import sys

    from portal.accounts import recovery

    address = "shared-counter@example.test"
    assert all(
        recovery.reset_allowed_for_address(address) for _ in range(settings.PASSWORD_RESET_PER_HOUR)
    )
    other_process = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from portal.accounts import recovery; "
            f"print(recovery.reset_allowed_for_address({address!r}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
    )
    assert other_process.stdout.strip() == "False"
