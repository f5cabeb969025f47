"""Access closes at once when revoked, and at the end of its window through expiry.

Revocation removes the operator's permissions in the same request, so the
bank's next request is refused. Expiry is its own periodic work (a service, a
task beat runs, a command) that closes a grant exactly once at its end; the
deadline sweep only reads: it tells the operator access ended, and reminds
both sides 7 days and 1 day before.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from access import services, tasks
from access.models import AccessGrant
from access.views.developer import REVOKE_UNDERSTOOD
from portal.audit.models import AuditEvent
from portal.cases.access import READ_OPERATOR_FINDINGS
from portal.celery import app as celery_app
from portal.notifications.models import Notification, SentReminder
from portal.notifications.sweep import run_sweep
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access, messages_of

VIEW_GRANT = "access.view_accessgrant"


def revoke_url(access_grant):
    return reverse("access:grant_revoke", args=[access_grant.pk])


def grant_page(access_grant):
    return reverse("access:grant_detail", args=[access_grant.pk])


def fresh(user):
    """The person as the next request loads them (no cached permissions)."""
    return get_user_model().objects.get(pk=user.pk)


def has_access(user, access_grant) -> bool:
    user = fresh(user)
    return user.has_perm(VIEW_GRANT, access_grant) or user.has_perm(
        READ_OPERATOR_FINDINGS, access_grant.case
    )


# --- revocation ------------------------------------------------------------------------


def test_revocation_takes_effect_on_the_operators_next_request(
    client, submitter, operator, live_grant
):
    client.force_login(operator)
    assert client.get(grant_page(live_grant)).status_code == 200
    assert has_access(operator, live_grant)

    developer_client = client_for(submitter)
    response = developer_client.post(
        revoke_url(live_grant), {"reason": "Leaked credentials.", "understood": "on"}
    )

    assert response.status_code == 302
    assert response.url == case_url(live_grant.case)
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.REVOKED
    assert live_grant.revocation_reason == "Leaked credentials."
    assert live_grant.revoked_by == submitter
    assert not has_access(operator, live_grant)
    # The page stays, saying so; nothing on it reaches the model any more.
    assert_closed_page(client, live_grant, "Revoked on ")
    assert "Leaked credentials." in client.get(grant_page(live_grant)).content.decode()
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1
    assert Notification.objects.filter(recipient=operator, body="Leaked credentials.").exists()


def assert_closed_page(client, access_grant, state):
    """The bank's page of a closed grant: its state, no file, no download link."""
    response = client.get(grant_page(access_grant))
    assert response.status_code == 200
    html = response.content.decode()
    assert state in html
    assert "Nothing can be downloaded from this grant any more" in html
    assert f"/access/grants/{access_grant.pk}/artifacts/" not in html
    assert reverse("access:sha256sums", args=[access_grant.pk]) not in html
    assert response.context["files"] == [] and response.context["panels"] == []


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_revoking_one_banks_access_leaves_the_other_banks(
    client, submitter, case, live_grant, granite, granite_operator
):
    theirs = give_access(submitter, case, granite)
    client.force_login(submitter)

    client.post(revoke_url(live_grant), {"reason": "Contract ended.", "understood": "on"})

    assert has_access(granite_operator, theirs)


def test_a_revocation_needs_a_reason(client, submitter, operator, live_grant):
    client.force_login(submitter)

    response = client.post(revoke_url(live_grant), {"reason": "   ", "understood": "on"})

    assert messages_of(response) == ["Give a reason for revoking access."]
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert has_access(operator, live_grant)


def test_a_grant_cannot_be_revoked_twice(client, submitter, live_grant):
    client.force_login(submitter)
    client.post(revoke_url(live_grant), {"reason": "First.", "understood": "on"})

    response = client.post(revoke_url(live_grant), {"reason": "Second.", "understood": "on"})

    assert messages_of(response)[-1] == "This grant is already revoked."
    live_grant.refresh_from_db()
    assert live_grant.revocation_reason == "First."
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1


@pytest.mark.parametrize("who", ["coordinator", "accepted_reviewer"])
def test_agency_staff_see_the_grant_but_may_not_revoke_it(
    client, request, who, operator, live_grant
):
    client.force_login(request.getfixturevalue(who))

    response = client.post(revoke_url(live_grant), {"reason": "We think so.", "understood": "on"})

    assert response.status_code == 403
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert has_access(operator, live_grant)


@pytest.mark.parametrize("who", ["operator", "other_submitter", "reviewer", "nsa_coordinator"])
def test_people_out_of_reach_get_404_and_the_grant_stays(client, request, who, live_grant):
    client.force_login(request.getfixturevalue(who))

    response = client.post(revoke_url(live_grant), {"reason": "Mischief.", "understood": "on"})

    assert response.status_code == 404
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE


def test_html_in_the_reason_is_shown_as_text(client, submitter, live_grant):
    client.force_login(submitter)
    client.post(
        revoke_url(live_grant), {"reason": "<script>alert('x')</script> breach", "understood": "on"}
    )

    page = client.get(case_url(live_grant.case)).content.decode()

    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; breach" in page


def test_declining_a_nomination_is_a_revocation_with_a_reason(
    client, submitter, coordinator, case, bank
):
    nomination = services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)
    client.force_login(submitter)

    client.post(
        revoke_url(nomination), {"reason": "We work with this bank directly.", "understood": "on"}
    )

    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.REVOKED


@pytest.mark.parametrize("status", ["active", "nominated"])
def test_revoking_needs_the_consequence_understood(
    client, submitter, coordinator, case, bank, status
):
    if status == "active":
        target = give_access(submitter, case, bank)
        wording = "revoking cannot be undone"
    else:
        target = services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)
        wording = "declining cannot be undone"
    client.force_login(submitter)
    page = client.get(case_url(case)).content.decode()
    assert f'id="revoke-understood-{target.pk}"' in page
    assert wording in page
    before = AuditEvent.objects.count()

    response = client.post(revoke_url(target), {"reason": "Leaked."})

    assert messages_of(response) == [REVOKE_UNDERSTOOD]
    target.refresh_from_db()
    assert (target.status, target.revoked_at) == (status, None)
    assert AuditEvent.objects.count() == before


# --- expiry ----------------------------------------------------------------------------


def ended_notifications(person):
    return Notification.objects.filter(recipient=person, title__contains="has ended")


def test_expiry_closes_a_grant_at_its_exact_end_and_only_once(client, operator, live_grant):
    end = live_grant.ends_at

    assert services.expire_grants(at=end - timedelta(seconds=1)) == 0
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert has_access(operator, live_grant)

    assert services.expire_grants(at=end) == 1
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.EXPIRED
    assert not has_access(operator, live_grant)
    client.force_login(operator)
    assert_closed_page(client, live_grant, "Ended on ")

    assert services.expire_grants(at=end + timedelta(minutes=15)) == 0
    assert not services.expire_grant(live_grant.pk, at=end + timedelta(minutes=15))
    (event,) = AuditEvent.objects.filter(action="access.expired")
    assert (event.actor, event.actor_repr) == (None, "grant expiry")


def test_the_sweep_tells_the_operator_once_that_access_ended(operator, live_grant):
    end = live_grant.ends_at

    assert run_sweep(at=end)["grant_expired"] == 0  # not closed yet: nothing to tell
    services.expire_grants(at=end)

    assert run_sweep(at=end)["grant_expired"] == 1
    assert run_sweep(at=end + timedelta(minutes=15))["grant_expired"] == 0
    assert ended_notifications(operator).count() == 1


def test_the_sweep_only_reads_it_never_closes_a_grant(operator, live_grant):
    counts = run_sweep(at=live_grant.ends_at + timedelta(hours=1))

    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert counts["grant_expired"] == 0
    assert not AuditEvent.objects.filter(action="access.expired").exists()


def test_expiry_leaves_revoked_grants_alone(submitter, operator, live_grant):
    services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Closed early.")

    assert services.expire_grants(at=live_grant.ends_at + timedelta(hours=1)) == 0

    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.REVOKED
    assert run_sweep(at=live_grant.ends_at + timedelta(hours=1))["grant_expired"] == 0
    assert not AuditEvent.objects.filter(action="access.expired").exists()


def test_a_lapsed_nomination_is_closed_and_announced_to_nobody(coordinator, operator, case, bank):
    nomination = services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)

    assert services.expire_grants(at=nomination.ends_at) == 1

    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.EXPIRED
    assert run_sweep(at=nomination.ends_at)["grant_expired"] == 0
    assert not ended_notifications(operator).exists()


def test_expiry_works_through_every_batch(submitter, case, live_grant, granite, granite_operator):
    theirs = give_access(submitter, case, granite)

    assert services.expire_grants(at=live_grant.ends_at, batch_size=1) == 2

    assert set(
        AccessGrant.objects.filter(pk__in=[live_grant.pk, theirs.pk]).values_list(
            "status", flat=True
        )
    ) == {AccessGrant.Status.EXPIRED}


def test_the_task_closes_what_has_ended_by_now(live_grant, frozen):
    frozen.moment = live_grant.ends_at

    assert tasks.expire_grants.apply().get() == 1
    assert tasks.expire_grants.apply().get() == 0
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.EXPIRED


def test_beat_runs_expiry_every_15_minutes_on_a_task_workers_find(db):
    entry = settings.CELERY_BEAT_SCHEDULE["grant-expiry"]
    assert entry == {"task": "access.expire_grants", "schedule": 15 * 60}
    celery_app.loader.import_default_modules()  # what a worker does at start
    assert celery_app.tasks["access.expire_grants"].name == tasks.expire_grants.name


def expire_command(*args) -> str:
    out = StringIO()
    call_command("expire_grants", *args, stdout=out)
    return out.getvalue()


def test_the_command_closes_grants_as_of_a_moment(live_grant):
    at = live_grant.ends_at.isoformat()

    assert expire_command("--at", at) == "grants closed: 1\n"
    assert expire_command("--at", at) == "grants closed: 0\n"
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.EXPIRED


def test_the_command_refuses_a_bad_moment_and_closes_nothing(live_grant):
    with pytest.raises(CommandError, match="--at must be an ISO-8601 date and time"):
        expire_command("--at", "2026-02-30T09:00:00")
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE


# --- reminders before the end ---------------------------------------------------------------


def ending_notifications(person):
    return Notification.objects.filter(recipient=person, title__contains="ends in")


def test_both_sides_are_reminded_seven_days_and_one_day_before_the_end_once_each(
    submitter, operator, live_grant
):
    end = live_grant.ends_at

    assert run_sweep(at=end - timedelta(days=8))["grant_ending"] == 0
    assert run_sweep(at=end - timedelta(days=7))["grant_ending"] == 2
    assert run_sweep(at=end - timedelta(days=7, hours=-1))["grant_ending"] == 0
    assert run_sweep(at=end - timedelta(days=3))["grant_ending"] == 0
    assert run_sweep(at=end - timedelta(days=1))["grant_ending"] == 2
    assert run_sweep(at=end - timedelta(hours=2))["grant_ending"] == 0

    for person in (operator, submitter):
        titles = sorted(ending_notifications(person).values_list("title", flat=True))
        assert titles == [
            f"Access of First Harbor Bank to {live_grant.case.number} ends in 1 day",
            f"Access of First Harbor Bank to {live_grant.case.number} ends in 7 days",
        ]
    urls = set(Notification.objects.filter(recipient=operator).values_list("url", flat=True))
    assert urls == {grant_page(live_grant)}
    assert set(
        SentReminder.objects.filter(kind="grant_ending").values_list("threshold", flat=True)
    ) == {
        "ending-7:operator",
        "ending-7:developer",
        "ending-1:operator",
        "ending-1:developer",
    }


def test_a_revoked_grant_gets_no_reminder(submitter, operator, live_grant):
    services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Closed early.")

    assert run_sweep(at=live_grant.ends_at - timedelta(days=7))["grant_ending"] == 0
    assert not ending_notifications(operator).exists()
