"""Granting, nominating and approving access from the case page: who may, what is refused."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access import services
from access.models import AccessGrant
from access.services import default_end
from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access, local_input, messages_of


def grant_url(case):
    return reverse("access:grant_create", args=[case.pk])


def nominate_url(case):
    return reverse("access:grant_nominate", args=[case.pk])


def approve_url(access_grant):
    return reverse("access:grant_approve", args=[access_grant.pk])


def grant_post(operator_org, **extra):
    return {"grant-operator": operator_org.pk, "grant-scope": "all", **extra}


# --- granting --------------------------------------------------------------------------


def test_the_submitter_grants_an_operator_access_until_the_planned_release(
    client, submitter, case, bank, operator
):
    client.force_login(submitter)

    response = client.post(grant_url(case), grant_post(bank))

    assert response.status_code == 302
    assert response.url == case_url(case)
    access_grant = AccessGrant.objects.get(case=case, operator=bank)
    assert access_grant.status == AccessGrant.Status.ACTIVE
    assert access_grant.all_artifacts
    assert access_grant.ends_at == default_end(case)
    assert access_grant.granted_by == submitter
    assert list(AccessGrant.objects.visible_to(operator)) == [access_grant]
    assert AuditEvent.objects.filter(action="access.granted").count() == 1
    assert Notification.objects.filter(recipient=operator).count() == 1
    assert "First Harbor Bank has access to the case." in messages_of(response)[0]


def test_the_submitter_can_share_chosen_artifacts_only(client, submitter, case, bank):
    card = case.artifacts.get()
    client.force_login(submitter)

    client.post(
        grant_url(case), grant_post(bank, **{"grant-scope": "chosen", "grant-artifacts": [card.pk]})
    )

    access_grant = AccessGrant.objects.get(case=case, operator=bank)
    assert not access_grant.all_artifacts
    assert list(access_grant.granted_artifacts()) == [card]


def test_choosing_to_share_chosen_artifacts_without_choosing_any_is_refused(
    client, submitter, case, bank
):
    client.force_login(submitter)

    response = client.post(grant_url(case), grant_post(bank, **{"grant-scope": "chosen"}))

    assert not AccessGrant.objects.exists()
    assert "Choose the artifacts to share." in messages_of(response)[0]


@pytest.mark.parametrize(
    "who", ["other_submitter", "operator", "reviewer", "nsa_coordinator", "outsider"]
)
def test_people_who_cannot_see_the_case_get_404_and_nothing_is_granted(
    client, request, who, case, bank
):
    client.force_login(request.getfixturevalue(who))

    response = client.post(grant_url(case), grant_post(bank))

    assert response.status_code == 404
    assert not AccessGrant.objects.exists()


def test_a_coordinator_sees_the_case_but_may_not_grant(client, coordinator, case, bank):
    client.force_login(coordinator)

    response = client.post(grant_url(case), grant_post(bank))

    assert response.status_code == 403
    assert not AccessGrant.objects.exists()


def test_a_second_grant_to_the_same_operator_is_refused_with_a_message(
    client, submitter, live_grant, case, bank
):
    client.force_login(submitter)

    response = client.post(grant_url(case), grant_post(bank))

    assert response.status_code == 302
    assert AccessGrant.objects.count() == 1
    assert messages_of(response) == ["First Harbor Bank already has access to this case."]


def test_only_active_operator_organizations_can_be_chosen(client, submitter, case, bank, developer):
    bank.active = False
    bank.save()
    client.force_login(submitter)

    for organization in (bank, developer):
        response = client.post(grant_url(case), grant_post(organization))
        assert messages_of(response)[-1].startswith("Operator: Select a valid choice.")
    assert not AccessGrant.objects.exists()


def test_an_end_in_the_past_is_refused(client, submitter, case, bank):
    client.force_login(submitter)
    yesterday = timezone.now() - timedelta(days=1)

    response = client.post(
        grant_url(case), grant_post(bank, **{"grant-ends_at": local_input(yesterday)})
    )

    assert not AccessGrant.objects.exists()
    assert messages_of(response) == ["Access ends: The end of access must be in the future."]


def test_an_end_before_the_start_is_refused(client, submitter, case, bank):
    client.force_login(submitter)
    start = timezone.now() + timedelta(days=10)

    response = client.post(
        grant_url(case),
        grant_post(
            bank,
            **{
                "grant-starts_at": local_input(start),
                "grant-ends_at": local_input(start - timedelta(days=1)),
            },
        ),
    )

    assert not AccessGrant.objects.exists()
    assert messages_of(response) == ["Access ends: Access must end after it starts."]


def test_the_service_refuses_a_window_the_form_did_not_see(submitter, case, bank):
    start = timezone.now() + timedelta(days=2)

    with pytest.raises(services.AccessActionRefused, match="end after it starts"):
        give_access(submitter, case, bank, starts_at=start, ends_at=start)
    with pytest.raises(services.AccessActionRefused, match="in the past"):
        give_access(
            submitter,
            case,
            bank,
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() - timedelta(minutes=1),
        )
    assert not AccessGrant.objects.exists()


def test_a_withdrawn_case_cannot_be_shared(client, submitter, case, bank, move_case):
    move_case(case, "withdraw")
    client.force_login(submitter)

    response = client.post(grant_url(case), grant_post(bank))

    assert not AccessGrant.objects.exists()
    assert messages_of(response) == ["The case is withdrawn."]


def test_a_get_is_not_a_grant(client, submitter, case):
    client.force_login(submitter)

    assert client.get(grant_url(case)).status_code == 405


# --- nominating ------------------------------------------------------------------------


def test_a_routed_coordinator_nominates_and_the_developer_is_asked(
    client, coordinator, submitter, operator, case, bank
):
    client.force_login(coordinator)

    response = client.post(nominate_url(case), {"nominate-operator": bank.pk})

    assert response.status_code == 302
    nomination = AccessGrant.objects.get()
    assert nomination.status == AccessGrant.Status.NOMINATED
    assert nomination.nominated_by == coordinator
    assert nomination.granted_by is None
    # Nominated is not granted: the bank sees nothing yet.
    assert not AccessGrant.objects.visible_to(operator).exists()
    assert Notification.objects.filter(recipient=submitter).count() == 1
    assert Notification.objects.filter(recipient=operator).count() == 0


def test_a_coordinator_of_an_agency_not_on_the_case_gets_404(client, nsa_coordinator, case, bank):
    client.force_login(nsa_coordinator)

    response = client.post(nominate_url(case), {"nominate-operator": bank.pk})

    assert response.status_code == 404
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("who", ["submitter", "accepted_reviewer"])
def test_people_who_see_the_case_but_do_not_coordinate_it_may_not_nominate(
    client, request, who, case, bank
):
    client.force_login(request.getfixturevalue(who))

    response = client.post(nominate_url(case), {"nominate-operator": bank.pk})

    assert response.status_code == 403
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("who", ["operator", "other_submitter", "reviewer"])
def test_people_out_of_reach_may_not_nominate(client, request, who, case, bank):
    client.force_login(request.getfixturevalue(who))

    response = client.post(nominate_url(case), {"nominate-operator": bank.pk})

    assert response.status_code == 404
    assert not AccessGrant.objects.exists()


def test_a_nomination_with_an_end_in_the_past_is_refused(client, coordinator, case, bank):
    client.force_login(coordinator)

    response = client.post(
        nominate_url(case),
        {
            "nominate-operator": bank.pk,
            "nominate-ends_at": local_input(timezone.now() - timedelta(hours=2)),
        },
    )

    assert not AccessGrant.objects.exists()
    assert messages_of(response) == ["Access would end: The end of access must be in the future."]


# --- approving -------------------------------------------------------------------------


@pytest.fixture
def nomination(coordinator, case, bank):
    return services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)


def test_the_developer_approves_a_nomination_and_the_operator_has_access(
    client, submitter, operator, nomination
):
    client.force_login(submitter)

    response = client.post(approve_url(nomination))

    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.ACTIVE
    assert nomination.granted_by == submitter
    assert list(AccessGrant.objects.visible_to(operator)) == [nomination]
    assert Notification.objects.filter(recipient=operator).count() == 1


def test_an_organization_admin_of_the_developer_may_approve(client, org_admin, nomination):
    client.force_login(org_admin)

    client.post(approve_url(nomination))

    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.ACTIVE


def test_the_nominating_coordinator_may_not_approve(client, coordinator, nomination):
    client.force_login(coordinator)

    response = client.post(approve_url(nomination))

    assert response.status_code == 403
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.NOMINATED


@pytest.mark.parametrize("who", ["operator", "other_submitter", "reviewer", "outsider"])
def test_people_out_of_reach_cannot_approve(client, request, who, nomination):
    client.force_login(request.getfixturevalue(who))

    response = client.post(approve_url(nomination))

    assert response.status_code == 404
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.NOMINATED


def test_approving_a_grant_that_is_not_nominated_is_refused(client, submitter, live_grant):
    client.force_login(submitter)

    response = client.post(approve_url(live_grant))

    assert messages_of(response) == ["This grant is active, not nominated."]
    assert AuditEvent.objects.filter(action="access.granted").count() == 1


def test_a_nomination_on_a_case_withdrawn_since_cannot_be_approved(
    client, submitter, operator, nomination, case, move_case
):
    move_case(case, "withdraw")
    client.force_login(submitter)

    response = client.post(approve_url(nomination))

    assert messages_of(response) == ["The case is withdrawn."]
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.NOMINATED
    assert not AccessGrant.objects.visible_to(operator).exists()


def test_a_nomination_of_an_operator_deactivated_since_cannot_be_approved(
    client, submitter, nomination, bank
):
    bank.active = False
    bank.save()
    client.force_login(submitter)

    response = client.post(approve_url(nomination))

    assert messages_of(response) == ["First Harbor Bank is no longer an active operator."]
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.NOMINATED


def test_a_grant_on_another_developers_case_is_404_to_our_submitter(
    client, submitter, other_submitter, bank, make_ready_draft, caisi
):
    from portal.cases.services import lifecycle as case_services

    theirs = make_ready_draft(actor=other_submitter)
    case_services.submit_case(actor=other_submitter, case_id=theirs.pk)
    their_grant = give_access(other_submitter, theirs, bank)
    client.force_login(submitter)

    assert client.post(approve_url(their_grant)).status_code == 404
    assert (
        client.post(
            reverse("access:grant_revoke", args=[their_grant.pk]),
            {"reason": "Not ours.", "understood": "on"},
        ).status_code
        == 404
    )
    their_grant.refresh_from_db()
    assert their_grant.status == AccessGrant.Status.ACTIVE
