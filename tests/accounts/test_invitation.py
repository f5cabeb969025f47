"""Inviting a person: the admin adds them without a password; they set one from an emailed link."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.accounts.invitations import send_invitation
from portal.accounts.models import User
from portal.audit.models import AuditEvent
from tests.conftest import Role

NEW_PASSWORD = "a brand new passphrase of some length"


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def add_person(admin_client, username, capture, **membership):
    data = {
        "username": username,
        "email": f"{username}@example.test",
        "first_name": "New",
        "last_name": "Person",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-agency": "",
        "membership-0-organization": "",
        **{f"membership-0-{key}": value for key, value in membership.items()},
    }
    with capture(execute=True):
        response = admin_client.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    return User.objects.get(username=username)


def invitation_path(message) -> str:
    link = re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def accept(path, password=NEW_PASSWORD):
    return Client().post(path, {"new_password1": password, "new_password2": password})


def test_the_add_form_asks_for_no_password(admin_client):
    html = admin_client.get(reverse("admin:accounts_user_add")).content.decode()
    assert 'name="email"' in html
    assert 'name="password1"' not in html and 'name="usable_password"' not in html


def test_an_invited_person_sets_a_password_once_then_signs_in(
    admin_client, caisi, django_capture_on_commit_callbacks, settings
):
    person = add_person(
        admin_client,
        "newreviewer",
        django_capture_on_commit_callbacks,
        agency=caisi.pk,
        role=Role.REVIEWER,
    )
    assert not person.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newreviewer@example.test"]
    path = invitation_path(mail.outbox[0])

    page = Client().get(path)
    assert page.status_code == 200 and "newreviewer" in page.content.decode()
    response = accept(path)
    assert response.status_code == 302 and response.url == reverse("login")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)

    # Used: the link no longer works and changes nothing.
    again = accept(path, "another passphrase of good length")
    assert "This invitation does not work" in again.content.decode()
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)

    # Agency staff: two-step setup follows the first sign-in, as for anyone.
    settings.MFA_ENFORCED = True
    client = Client()
    signed = client.post(reverse("login"), {"username": "newreviewer", "password": NEW_PASSWORD})
    assert signed.status_code == 302 and signed.url.startswith(reverse("mfa_setup"))

    actions = set(
        AuditEvent.objects.filter(target_id=str(person.pk)).values_list("action", flat=True)
    )
    assert {"auth.invitation_sent", "auth.invitation_accepted"} <= actions


def test_an_expired_invitation_changes_nothing(outsider, settings):
    outsider.set_unusable_password()
    outsider.save()
    send_invitation(outsider)
    path = invitation_path(mail.outbox[0])
    settings.INVITATION_DAYS = 0

    response = accept(path)
    assert response.status_code == 200
    assert "This invitation does not work" in response.content.decode()
    outsider.refresh_from_db()
    assert not outsider.has_usable_password()


def test_a_forged_invitation_changes_nothing(outsider):
    send_invitation(outsider)
    path = invitation_path(mail.outbox[0])
    forged = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]

    for bad in (forged, reverse("invitation_accept", kwargs={"token": "nonsense"})):
        response = accept(bad)
        assert "This invitation does not work" in response.content.decode()
    outsider.refresh_from_db()
    assert not outsider.has_usable_password()


def test_a_resent_invitation_replaces_the_old_one(admin_client, outsider):
    send_invitation(outsider)
    old = invitation_path(mail.outbox[0])
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "resend_invitation", "_selected_action": [outsider.pk]},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new = invitation_path(mail.outbox[1])

    assert "This invitation does not work" in accept(old).content.decode()
    assert accept(new).status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.invitation_sent", target_id=str(outsider.pk), details__resent=True
    ).exists()


def test_no_invitation_is_resent_to_someone_with_a_password(admin_client, reviewer):
    admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "resend_invitation", "_selected_action": [reviewer.pk]},
    )
    assert mail.outbox == []
    reviewer.refresh_from_db()
    assert reviewer.has_usable_password()
