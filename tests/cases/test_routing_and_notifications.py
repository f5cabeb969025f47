"""Where a submitted case goes, who hears about it, and when the email leaves.

A submission is routed to the agencies named in DEFAULT_ROUTING_AGENCIES. Their
coordinators get a notification, and its email is queued only when the
submission commits: a rolled-back submission mails nobody.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import get_group_perms

from portal.audit.models import AuditEvent
from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused
from portal.notifications.delivery import send_notification_emails
from portal.notifications.models import Notification
from portal.notifications.services import notify
from tests.conftest import Role, make_person


@pytest.fixture
def nsa_reviewer(nsa):
    return make_person("nsa-reviewer", unit=nsa, role=Role.REVIEWER)


def notified(case) -> set[str]:
    return set(Notification.objects.filter(case=case).values_list("recipient__username", flat=True))


def perms_of(unit, case) -> set[str]:
    """What the unit's case-carrying group holds: an agency's coordinators, an organization."""
    group = getattr(unit, "coordinators_group", None) or unit.group
    return set(get_group_perms(group, case))


def routed_to(case) -> list[str]:
    return sorted(CaseRouting.objects.filter(case=case).values_list("agency__acronym", flat=True))


# --- Routing at submission ------------------------------------------------------------------


def test_a_submitted_case_goes_to_the_default_agency_and_its_coordinators_only(
    ready_draft, submitter, org_admin, coordinator, reviewer, nsa_coordinator, caisi, nsa
):
    case_services.submit_case(actor=submitter, case_id=ready_draft.pk)

    assert routed_to(ready_draft) == ["CAISI"]
    assert notified(ready_draft) == {"coordinator"}
    assert "view_submission" in perms_of(caisi, ready_draft)
    # The agency's reviewers see the case only once assigned.
    assert set(get_group_perms(caisi.group, ready_draft)) == set()
    assert perms_of(nsa, ready_draft) == set()
    routed = AuditEvent.objects.for_target(ready_draft).get(action="case.routed")
    assert (routed.actor, routed.details) == (submitter, {"agency": "CAISI"})


def test_the_routing_agencies_come_from_the_settings(
    settings, ready_draft, submitter, coordinator, nsa_coordinator, nsa_reviewer, nsa
):
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "NSA"]

    case_services.submit_case(actor=submitter, case_id=ready_draft.pk)

    assert routed_to(ready_draft) == ["CAISI", "NSA"]
    assert notified(ready_draft) == {"coordinator", "nsa-coordinator"}
    assert "view_submission" in perms_of(nsa, ready_draft)


def test_an_inactive_agency_in_the_settings_is_skipped(
    settings, ready_draft, submitter, coordinator, nsa_coordinator, nsa
):
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "NSA"]
    nsa.active = False
    nsa.save()

    case_services.submit_case(actor=submitter, case_id=ready_draft.pk)

    assert routed_to(ready_draft) == ["CAISI"]
    assert notified(ready_draft) == {"coordinator"}


@pytest.mark.parametrize("configured", [[], ["ONCD"], ["NSA"]])
def test_without_an_active_routing_agency_submission_is_refused(
    configured, settings, ready_draft, submitter, coordinator, nsa
):
    """ONCD does not exist here; NSA exists but is switched off."""
    settings.DEFAULT_ROUTING_AGENCIES = configured
    nsa.active = False
    nsa.save()
    audit_before = AuditEvent.objects.count()

    with pytest.raises(CaseActionRefused, match="No reviewing agency is configured"):
        case_services.submit_case(actor=submitter, case_id=ready_draft.pk)

    ready_draft.refresh_from_db()
    assert (ready_draft.status, ready_draft.number) == (CaseStatus.DRAFT, None)
    assert AuditEvent.objects.count() == audit_before
    assert not Notification.objects.exists()


# --- Email on commit ------------------------------------------------------------------------


def test_the_coordinators_email_leaves_only_when_the_submission_commits(
    ready_draft, submitter, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_services.submit_case(actor=submitter, case_id=ready_draft.pk)
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    ready_draft.refresh_from_db()
    [email] = mail.outbox
    assert email.to == ["coordinator@example.test"]
    assert email.subject == f"[Frontier Review Portal] New case {ready_draft.number}: Aurora 2.0"
    assert f"/cases/{ready_draft.pk}/" in email.body
    assert Notification.objects.get(recipient=coordinator).emailed_at is not None


def test_a_rolled_back_submission_notifies_and_mails_nobody(
    ready_draft, submitter, coordinator, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_services.submit_case(actor=submitter, case_id=ready_draft.pk)
        raise RuntimeError("the request failed after the submission")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert Submission.objects.get(pk=ready_draft.pk).status == CaseStatus.DRAFT


def test_short_notice_is_flagged_in_the_coordinators_notification(
    make_ready_draft, submitter, coordinator, django_capture_on_commit_callbacks
):
    case = make_ready_draft(planned_release_date=timezone.localdate() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        case_services.submit_case(
            actor=submitter, case_id=case.pk, short_notice_reason="Security fix must ship."
        )

    [email] = mail.outbox
    assert "(short notice)" in email.subject


# --- Sending each email once -----------------------------------------------------------------


def test_sending_the_same_notifications_twice_mails_each_person_once(
    coordinator, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = notify([coordinator, reviewer], title="Deadline in 7 days")
    ids = [n.pk for n in notifications]

    first = send_notification_emails(ids)
    again = send_notification_emails(ids)

    assert (first, again) == (2, 0)
    assert sorted(email.to[0] for email in mail.outbox) == [
        "coordinator@example.test",
        "reviewer@example.test",
    ]


def test_a_mail_server_failure_leaves_the_email_to_the_retry(
    coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        [notification] = notify([coordinator], title="Deadline in 7 days")

    def server_down(message, mail_connection=None):
        raise ConnectionRefusedError("SMTP server down")

    with monkeypatch.context() as patched:
        patched.setattr("portal.notifications.delivery.deliver", server_down)
        assert send_notification_emails([notification.pk]) == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert mail.outbox == []

    retry_at = notification.email_due_at + timedelta(seconds=1)
    assert send_notification_emails([notification.pk], now=retry_at) == 1
    assert [email.to for email in mail.outbox] == [["coordinator@example.test"]]


def test_people_without_an_email_address_or_no_longer_active_get_no_email(
    coordinator, reviewer, submitter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notifications = notify([coordinator, reviewer, submitter], title="Case update")
    reviewer.email = ""
    reviewer.save()
    submitter.is_active = False
    submitter.save()

    sent = send_notification_emails([n.pk for n in notifications])

    assert sent == 1
    assert [email.to for email in mail.outbox] == [["coordinator@example.test"]]


def test_inactive_people_are_not_notified_at_all(coordinator, reviewer):
    reviewer.is_active = False
    reviewer.save()

    notifications = notify([coordinator, reviewer, coordinator], title="Case update")

    assert [n.recipient for n in notifications] == [coordinator]


# --- Routing on to another agency -------------------------------------------------------------


@pytest.fixture
def submitted(case_in):
    return case_in(CaseStatus.SUBMITTED)


def test_a_routed_coordinator_sends_the_case_on_to_nsa(
    submitted, coordinator, nsa, nsa_coordinator, nsa_reviewer, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        case_services.route_case(actor=coordinator, case_id=submitted.pk, agency=nsa)

    assert routed_to(submitted) == ["CAISI", "NSA"]
    assert "view_submission" in perms_of(nsa, submitted)
    assert notified(submitted) == {"nsa-coordinator"}
    assert [email.to for email in mail.outbox] == [["nsa-coordinator@example.test"]]
    routing = CaseRouting.objects.get(case=submitted, agency=nsa)
    assert routing.routed_by == coordinator


def test_routing_to_the_same_agency_twice_is_refused(submitted, coordinator, nsa):
    case_services.route_case(actor=coordinator, case_id=submitted.pk, agency=nsa)
    before = (AuditEvent.objects.count(), Notification.objects.count())

    with pytest.raises(CaseActionRefused, match="already routed to NSA"):
        case_services.route_case(actor=coordinator, case_id=submitted.pk, agency=nsa)

    assert (AuditEvent.objects.count(), Notification.objects.count()) == before
    assert routed_to(submitted) == ["CAISI", "NSA"]


def test_routing_to_an_inactive_agency_is_refused(submitted, coordinator, nsa):
    nsa.active = False
    nsa.save()

    with pytest.raises(CaseActionRefused, match="NSA does not take cases now"):
        case_services.route_case(actor=coordinator, case_id=submitted.pk, agency=nsa)

    assert routed_to(submitted) == ["CAISI"]
    assert perms_of(nsa, submitted) == set()


@pytest.mark.parametrize("persona", ["reviewer", "nsa_coordinator", "submitter"])
def test_only_a_coordinator_of_a_routed_agency_may_route(
    persona, request, submitted, nsa, nsa_coordinator
):
    actor = request.getfixturevalue(persona)

    with pytest.raises(CaseActionRefused, match="Only a coordinator of an agency on the case"):
        case_services.route_case(actor=actor, case_id=submitted.pk, agency=nsa)

    assert routed_to(submitted) == ["CAISI"]
    assert perms_of(nsa, submitted) == set()


# --- Later news for the agencies on the case ---------------------------------------------------


def test_withdrawal_and_release_are_news_for_every_routed_coordinator(
    case_in, move_case, coordinator, nsa, nsa_coordinator, reviewer
):
    case = case_in(CaseStatus.RECOMMENDATION_ISSUED)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    Notification.objects.all().delete()

    move_case(case, "release")

    titles = set(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {
        ("coordinator", f"{case.number} Aurora 2.0 was released publicly"),
        ("nsa-coordinator", f"{case.number} Aurora 2.0 was released publicly"),
    }


def test_withdrawing_a_submitted_case_tells_its_coordinators_with_the_reason(
    case_in, submitter, coordinator
):
    case = case_in(CaseStatus.IN_REVIEW)
    Notification.objects.all().delete()

    case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Model retired.")

    [notification] = Notification.objects.all()
    assert notification.recipient == coordinator
    assert notification.title == f"Case {case.number} was withdrawn by the developer"
    assert notification.body == "Model retired."


def test_withdrawing_a_draft_tells_nobody(ready_draft, submitter, coordinator):
    case_services.withdraw_case(actor=submitter, case_id=ready_draft.pk, reason="Not ready.")

    assert not Notification.objects.exists()
