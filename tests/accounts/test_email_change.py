"""Changing one's email address: a link to the new address, a notice to the old, once."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.accounts import session_policy
from portal.audit.models import AuditEvent

NEW = "reviewer.new@example.test"


@pytest.fixture
def signed_in(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def ask(client, email=NEW):
    return client.post(reverse("email_change"), {"email": email})


def confirm_path(message) -> str:
    link = re.search(r"https?://\S+/account/email/confirm/\S+/", message.body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_the_link_goes_to_the_new_address_and_a_notice_to_the_old(signed_in, reviewer):
    response = ask(signed_in)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted([NEW, "reviewer@example.test"])
    notice = next(m for m in mail.outbox if m.to == ["reviewer@example.test"])
    assert "/account/email/confirm/" not in notice.body
    reviewer.refresh_from_db()
    assert reviewer.email == "reviewer@example.test"  # not yet
    assert AuditEvent.objects.filter(action="auth.email_change_requested").exists()


def test_following_the_link_changes_the_address_once(signed_in, reviewer):
    ask(signed_in)
    path = confirm_path(next(m for m in mail.outbox if m.to == [NEW]))

    page = signed_in.get(path)
    assert page.status_code == 200 and NEW in page.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.email == "reviewer@example.test"  # opening the link changes nothing

    assert signed_in.post(path).status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.email == NEW
    event = AuditEvent.objects.get(action="auth.email_changed")
    assert event.details == {"old": "reviewer@example.test", "new": NEW}

    # Used: it no longer works.
    again = signed_in.post(path)
    assert "This link does not work" in again.content.decode()
    assert AuditEvent.objects.filter(action="auth.email_changed").count() == 1


def test_an_expired_link_changes_nothing(signed_in, reviewer, settings):
    ask(signed_in)
    path = confirm_path(next(m for m in mail.outbox if m.to == [NEW]))
    settings.EMAIL_CHANGE_HOURS = 0
    response = signed_in.post(path)
    assert "This link does not work" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.email == "reviewer@example.test"


def test_a_forged_link_or_another_persons_changes_nothing(signed_in, reviewer, coordinator):
    ask(signed_in)
    path = confirm_path(next(m for m in mail.outbox if m.to == [NEW]))
    forged = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
    assert "This link does not work" in signed_in.post(forged).content.decode()

    other = Client()
    other.force_login(coordinator)
    assert "This link does not work" in other.post(path).content.decode()
    reviewer.refresh_from_db()
    coordinator.refresh_from_db()
    assert reviewer.email == "reviewer@example.test"
    assert coordinator.email == "coordinator@example.test"


def test_the_same_address_is_refused(signed_in):
    response = ask(signed_in, "REVIEWER@example.test")
    assert response.status_code == 400
    assert mail.outbox == []


def test_a_stale_sign_in_must_confirm_first(signed_in, monkeypatch):
    monkeypatch.setattr(session_policy, "recently_authenticated", lambda request: False)
    response = ask(signed_in)
    assert response.status_code == 302 and response.url.startswith(reverse("reauthenticate"))
    assert mail.outbox == []
