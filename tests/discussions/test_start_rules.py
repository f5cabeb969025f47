"""Who may start which marking; a wider marking is refused and nothing changes."""

import pytest
from django.urls import reverse

from access.models import AccessGrant
from access.services import revoke_access
from portal.audit.models import AuditEvent
from portal.discussions.access import startable_markings
from portal.discussions.models import Message, Thread
from portal.discussions.services import DiscussionRefused
from portal.notifications.models import Notification
from tests.discussions.conftest import start, start_url

ALL = {"agency_only", "interagency", "developer", "operator"}
MAY_START = {
    "coordinator": ALL,
    "nsa_coordinator": ALL,
    "lead": {"agency_only", "interagency"},
    "nsa_reviewer": {"agency_only", "interagency"},
    "submitter": {"developer"},
    "org_admin": {"developer"},
    "operator": {"operator"},
    "caisi_bystander": set(),
    "other_submitter": set(),
    "other_operator": set(),
    "platform_admin": set(),
    # ONCD monitors capability jumps; the case is not routed to it.
    "oncd_coordinator": set(),
    "oncd_reviewer": set(),
}


def nothing_changed(before):
    return (Thread.objects.count(), Message.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("name", sorted(MAY_START))
def test_each_person_starts_only_the_markings_they_may(name, case, personas):
    person = personas[name]
    assert set(startable_markings(person, case)) == MAY_START[name]
    for marking in sorted(ALL):
        before = (Thread.objects.count(), Message.objects.count(), AuditEvent.objects.count())
        if marking in MAY_START[name]:
            thread = start(case, person, marking)
            assert thread.marking == marking
        else:
            with pytest.raises(DiscussionRefused):
                start(case, person, marking)
            assert nothing_changed(before), (name, marking)


def test_an_agency_only_thread_is_for_the_starter_s_own_agency(case, nsa_reviewer, nsa):
    assert start(case, nsa_reviewer, "agency_only").agency == nsa


def test_a_reviewer_addressing_the_developer_is_refused_with_a_message(client, case, lead):
    client.force_login(lead)
    before = (Thread.objects.count(), Message.objects.count(), AuditEvent.objects.count())

    response = client.post(
        start_url(case),
        {"thread-subject": "Hi", "thread-marking": "developer", "thread-body": "Hello"},
    )

    assert response.status_code == 400
    assert "You may not start a thread marked “The developer and the agencies”" in (
        response.content.decode()
    )
    assert nothing_changed(before)


def test_a_coordinator_addresses_only_an_operator_with_a_live_grant(case, coordinator, other_bank):
    with pytest.raises(DiscussionRefused, match="no live grant"):
        start(case, coordinator, "operator", organization_id=other_bank.pk)
    with pytest.raises(DiscussionRefused, match="Choose the operator"):
        start(case, coordinator, "operator", organization_id=None)
    assert not Thread.objects.exists()


def test_an_operator_whose_grant_was_revoked_reads_and_replies_but_starts_nothing(
    client, case, submitter, coordinator, operator
):
    thread = start(case, coordinator, "operator")
    grant = AccessGrant.objects.get(case=case)
    revoke_access(actor=submitter, grant_id=grant.pk, reason="Window closed early.")

    assert startable_markings(operator, case) == []
    with pytest.raises(DiscussionRefused):
        start(case, operator, "operator")
    client.force_login(operator)
    assert client.get(reverse("discussions:thread", args=[thread.pk])).status_code == 200
    response = client.post(
        reverse("discussions:message_post", args=[thread.pk]), {"reply-body": "Our answer."}
    )
    assert response.status_code == 302
    assert thread.messages.count() == 2


def test_the_start_form_offers_only_the_allowed_markings(client, case, lead, coordinator):
    client.force_login(lead)
    form = client.get(reverse("reviews:case_discussion", args=[case.pk])).context["thread_form"]
    assert [value for value, _ in form.fields["marking"].widget.choices] == [
        "agency_only",
        "interagency",
    ]
    assert "organization" not in form.fields
    client.force_login(coordinator)
    form = client.get(reverse("reviews:case_discussion", args=[case.pk])).context["thread_form"]
    assert len(form.fields["marking"].widget.choices) == 4
    assert [o.slug for o in form.fields["organization"].queryset] == ["first-harbor"]


def test_a_started_thread_is_audited_and_told(
    client, case, coordinator, submitter, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            start_url(case),
            {
                "thread-subject": "Launch safeguards",
                "thread-marking": "developer",
                "thread-body": "Which classifier ships?",
            },
        )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("discussions:thread", args=[thread.pk])
    event = AuditEvent.objects.filter(action="thread.started").get()
    assert event.details["thread"] == thread.pk
    assert Notification.objects.filter(recipient=submitter, title__contains="Launch").exists()
