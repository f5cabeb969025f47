"""Access closes at once when revoked, and at the end of its window through the sweep.

Revocation removes the operator's permissions in the same request, so the
bank's next request is refused; expiry is a step of the deadline sweep, which
closes a grant exactly once at its end and reminds both sides 7 days and
1 day before.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from access.models import AccessGrant
from portal.audit.models import AuditEvent
from portal.cases.access import READ_OPERATOR_FINDINGS
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
    response = developer_client.post(revoke_url(live_grant), {"reason": "Leaked credentials."})

    assert response.status_code == 302
    assert response.url == case_url(live_grant.case) + "#access"
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.REVOKED
    assert live_grant.revocation_reason == "Leaked credentials."
    assert live_grant.revoked_by == submitter
    assert not has_access(operator, live_grant)
    assert client.get(grant_page(live_grant)).status_code == 404
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1
    assert Notification.objects.filter(recipient=operator, body="Leaked credentials.").exists()


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

    client.post(revoke_url(live_grant), {"reason": "Contract ended."})

    assert has_access(granite_operator, theirs)


def test_a_revocation_needs_a_reason(client, submitter, operator, live_grant):
    client.force_login(submitter)

    response = client.post(revoke_url(live_grant), {"reason": "   "})

    assert messages_of(response) == ["Give a reason for revoking access."]
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert has_access(operator, live_grant)


def test_a_grant_cannot_be_revoked_twice(client, submitter, live_grant):
    client.force_login(submitter)
    client.post(revoke_url(live_grant), {"reason": "First."})

    response = client.post(revoke_url(live_grant), {"reason": "Second."})

    assert messages_of(response)[-1] == "This grant is already revoked."
    live_grant.refresh_from_db()
    assert live_grant.revocation_reason == "First."
    assert AuditEvent.objects.filter(action="access.revoked").count() == 1


@pytest.mark.parametrize("who", ["coordinator", "accepted_reviewer"])
def test_agency_staff_see_the_grant_but_may_not_revoke_it(
    client, request, who, operator, live_grant
):
    client.force_login(request.getfixturevalue(who))

    response = client.post(revoke_url(live_grant), {"reason": "We think so."})

    assert response.status_code == 403
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert has_access(operator, live_grant)


@pytest.mark.parametrize("who", ["operator", "other_submitter", "reviewer", "nsa_coordinator"])
def test_people_out_of_reach_get_404_and_the_grant_stays(client, request, who, live_grant):
    client.force_login(request.getfixturevalue(who))

    response = client.post(revoke_url(live_grant), {"reason": "Mischief."})

    assert response.status_code == 404
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE


def test_html_in_the_reason_is_shown_as_text(client, submitter, live_grant):
    client.force_login(submitter)
    client.post(revoke_url(live_grant), {"reason": "<script>alert('x')</script> breach"})

    page = client.get(case_url(live_grant.case)).content.decode()

    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; breach" in page


def test_declining_a_nomination_is_a_revocation_with_a_reason(
    client, submitter, coordinator, case, bank
):
    from access import services

    nomination = services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)
    client.force_login(submitter)

    client.post(revoke_url(nomination), {"reason": "We work with this bank directly."})

    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.REVOKED


# --- expiry ----------------------------------------------------------------------------


def test_the_sweep_closes_a_grant_at_its_exact_end_and_only_once(client, operator, live_grant):
    end = live_grant.ends_at

    just_before = run_sweep(at=end - timedelta(seconds=1))
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.ACTIVE
    assert just_before["grant_expired"] == 0
    assert has_access(operator, live_grant)

    at_the_end = run_sweep(at=end)
    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.EXPIRED
    assert at_the_end["grant_expired"] == 1
    assert not has_access(operator, live_grant)
    client.force_login(operator)
    assert client.get(grant_page(live_grant)).status_code == 404

    again = run_sweep(at=end + timedelta(minutes=15))
    assert again["grant_expired"] == 0
    assert AuditEvent.objects.filter(action="access.expired").count() == 1
    assert Notification.objects.filter(recipient=operator, title__contains="has ended").count() == 1


def test_the_sweep_leaves_revoked_grants_alone(submitter, operator, live_grant):
    from access import services

    services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Closed early.")

    counts = run_sweep(at=live_grant.ends_at + timedelta(hours=1))

    live_grant.refresh_from_db()
    assert live_grant.status == AccessGrant.Status.REVOKED
    assert counts["grant_expired"] == 0
    assert not AuditEvent.objects.filter(action="access.expired").exists()


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
    from access import services

    services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Closed early.")

    assert run_sweep(at=live_grant.ends_at - timedelta(days=7))["grant_ending"] == 0
    assert not ending_notifications(operator).exists()
