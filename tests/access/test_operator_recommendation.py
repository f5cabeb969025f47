# ruff: noqa: F811  (pytest fixtures imported from the operators-in-the-loop module)
"""The recommendation's part for operators, and the threads addressed to a bank, on its grant page.

A bank with an open grant reads the issued recommendation's part written for
operators (never the summary or conditions meant for the developer), named by
the lead agency; each bank is told once when it is issued. Threads addressed
to the bank are listed on the grant page; other threads never are.
"""

import pytest
from django.urls import reverse

from access import services as access_services
from portal.audit.models import AuditEvent
from portal.discussions import services as discussion_services
from portal.notifications.models import Notification
from reviews.models import Recommendation
from reviews.services import recommendations as recommendation_services
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.test_operators_in_the_loop import analyst, granite_grant, grant_page  # noqa: F401

FOR_OPERATORS = "Patch the wire-desk workflow before the release; watch for pretexting."
SUMMARY = "Release with the code tool behind the enterprise tier (for the developer)."


def draft(coordinator, case, for_operators=FOR_OPERATORS):
    return recommendation_services.draft_recommendation(
        actor=coordinator,
        case_id=case.pk,
        outcome=Recommendation.Outcome.MITIGATIONS,
        summary=SUMMARY,
        conditions="Enterprise tier only.",
        for_operators=for_operators,
    )


def issue(coordinator, case, **fields):
    draft(coordinator, case, **fields)
    return recommendation_services.issue_recommendation(actor=coordinator, case_id=case.pk)


def notices_to(person):
    return Notification.objects.filter(recipient=person, title__contains="recommendation")


@pytest.mark.django_db
def test_the_bank_reads_the_part_for_operators_once_issued(
    client, analyst, coordinator, operator, live_grant
):
    case = live_grant.case
    client.force_login(operator)
    draft(coordinator, case)
    assert FOR_OPERATORS not in client.get(grant_page(live_grant)).content.decode()

    recommendation_services.issue_recommendation(actor=coordinator, case_id=case.pk)

    html = client.get(grant_page(live_grant)).content.decode()
    assert FOR_OPERATORS in html
    assert "by CAISI, the lead agency" in html
    assert SUMMARY not in html
    assert "Enterprise tier only." not in html
    assert coordinator.username not in html


@pytest.mark.django_db
def test_each_bank_is_told_once_and_only_banks_with_an_open_grant(
    analyst, coordinator, operator, granite_operator, live_grant, granite_grant, submitter
):
    access_services.revoke_access(actor=submitter, grant_id=granite_grant.pk, reason="Ended.")
    recommendation = issue(coordinator, live_grant.case)

    assert notices_to(operator).count() == 1
    assert "CAISI issued its recommendation" in notices_to(operator).get().title
    assert not notices_to(granite_operator).exists()
    # Told again for the same issue: nothing more.
    event = AuditEvent.objects.get(action="recommendation.issued")
    assert recommendation_services.tell_operators_of_recommendation(recommendation.case, event) == 0
    assert notices_to(operator).count() == 1


@pytest.mark.django_db
def test_no_part_for_operators_means_no_panel_and_no_notice(
    client, analyst, coordinator, operator, live_grant
):
    issue(coordinator, live_grant.case, for_operators="")
    client.force_login(operator)
    html = client.get(grant_page(live_grant)).content.decode()
    assert "operator-recommendation-heading" not in html
    assert not notices_to(operator).exists()


@pytest.mark.django_db
def test_a_revoked_grant_shows_no_recommendation(
    client, analyst, coordinator, operator, live_grant, submitter
):
    issue(coordinator, live_grant.case)
    access_services.revoke_access(actor=submitter, grant_id=live_grant.pk, reason="Ended.")
    client.force_login(operator)
    response = client.get(grant_page(live_grant))
    assert response.status_code == 200
    assert FOR_OPERATORS not in response.content.decode()


@pytest.mark.django_db
def test_threads_addressed_to_the_bank_are_on_its_grant_page_and_no_others(
    client, analyst, coordinator, operator, live_grant, bank
):
    case = live_grant.case
    to_bank = discussion_services.start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="About your payment systems",
        marking="operator",
        organization_id=bank.pk,
        body="Which systems did you test?",
    )
    discussion_services.start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="Interagency only",
        marking="interagency",
        body="Not for the bank.",
    )
    client.force_login(operator)
    html = client.get(grant_page(live_grant)).content.decode()
    assert "About your payment systems" in html
    assert reverse("discussions:thread", args=[to_bank.pk]) in html
    assert "Interagency only" not in html
