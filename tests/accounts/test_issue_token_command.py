"""``manage.py issue_token``: an operator's way to hand a script its token."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import AccessToken
from portal.accounts.models.tokens import digest_token
from portal.audit.models import AuditEvent


def issue_token(*args):
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue()


def test_the_last_line_is_a_token_that_works_against_the_api(client, operator):
    output = issue_token("operator", "--name", "nightly download")

    raw = output.strip().splitlines()[-1]
    token = AccessToken.objects.get(user=operator)
    assert token.digest == digest_token(raw)
    assert token.name == "nightly download"
    expected = timezone.now() + timedelta(days=settings.TOKEN_DEFAULT_DAYS)
    assert abs(token.expires_at - expected) < timedelta(minutes=1)
    assert token.scopes == ["grants:read"]
    assert "scopes grants:read;" in output
    response = client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == "operator"


def test_days_sets_the_expiry(operator):
    output = issue_token("operator", "--days", "7")

    token = AccessToken.objects.get(user=operator)
    expected = timezone.now() + timedelta(days=7)
    assert abs(token.expires_at - expected) < timedelta(minutes=1)
    assert f"expires {token.expires_at:%Y-%m-%d}" in output


def test_issuing_is_recorded_as_the_command(operator):
    issue_token("operator")

    event = AuditEvent.objects.get(action="token.created")
    token = AccessToken.objects.get(user=operator)
    assert (event.actor, event.actor_repr, event.ip) == (None, "manage.py issue_token", None)
    assert event.target_id == str(token.pk)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No person with the username 'nobody'."),
        (["operator", "--days", "0"], f"--days must be between 1 and {settings.TOKEN_MAX_DAYS}"),
        (["operator", "--days", "-3"], f"--days must be between 1 and {settings.TOKEN_MAX_DAYS}"),
        (
            ["operator", "--days", str(settings.TOKEN_MAX_DAYS + 1)],
            f"--days must be between 1 and {settings.TOKEN_MAX_DAYS}",
        ),
        (["operator", "--days", "soon"], "invalid int value: 'soon'"),
        (["operator", "--scope", "cases:upload"], "may not hold the scope cases:upload"),
        (["operator", "--scope", "everything"], "invalid choice: 'everything'"),
        (["operator", "--name", "  "], "--name must be 1 to 100 printable characters."),
        (["operator", "--name", "bell\x07"], "--name must be 1 to 100 printable characters."),
        (["operator", "--name", "x" * 101], "--name must be 1 to 100 printable characters."),
    ],
)
def test_bad_arguments_are_refused_and_issue_nothing(operator, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        issue_token(*args)

    assert not AccessToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token.created").exists()


def test_a_deactivated_person_gets_no_token(operator):
    operator.is_active = False
    operator.save()

    with pytest.raises(CommandError, match="operator is deactivated"):
        issue_token("operator")

    assert not AccessToken.objects.exists()


def test_scopes_are_chosen_and_the_token_is_still_the_last_line(client, operator, coordinator):
    output = issue_token("coordinator", "--scope", "frontier:read", "--days", "90")

    lines = output.strip().splitlines()
    raw = lines[-1]
    token = AccessToken.objects.get(user=coordinator)
    assert token.digest == digest_token(raw)
    assert token.scopes == ["frontier:read"]
    assert lines[0].startswith("Token for coordinator (scopes frontier:read; expires ")
    assert AuditEvent.objects.get(action="token.created").details["scopes"] == ["frontier:read"]


def test_agency_staff_get_no_upload_scope_from_the_command(coordinator):
    with pytest.raises(CommandError, match="may not hold the scope cases:upload"):
        issue_token("coordinator", "--scope", "cases:upload")

    assert not AccessToken.objects.exists()
