"""Each routing counts its agency's invited and accepted reviewers on the case.

The agency queue sorts "unassigned first" and counts unassigned cases from
``CaseRouting.reviewers``, so the count must follow every change of an
assignment: invited, accepted, declined, conflict declared, removed, completed,
deleted by hand, and the writes that skip ``save()`` (``QuerySet.update``,
``bulk_create``, ``QuerySet.delete``, the admin's ``delete_selected``); and the
other agency's routing is never touched. Database triggers count.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse

from portal.cases.models import CaseRouting
from reviews.models import Assignment
from reviews.selectors import queue_counts
from reviews.services import assignments as assignment_services
from tests.conftest import Role, database_triggers, make_person
from tests.reviews.fixtures_coordinator import assigned, invite
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)

pytestmark = pytest.mark.django_db


def reviewers(case, agency) -> int:
    return CaseRouting.objects.get(case=case, agency=agency).reviewers


def test_the_count_follows_every_assignment_change(review_case, coordinator, reviewer, caisi, nsa):
    second = make_person("second", unit=caisi, role=Role.REVIEWER)
    third = make_person("third", unit=caisi, role=Role.REVIEWER)
    fourth = make_person("fourth", unit=caisi, role=Role.REVIEWER)
    nsa_before = reviewers(review_case, nsa)
    assert reviewers(review_case, caisi) == 0

    first = assigned(coordinator, review_case, reviewer)
    invited = invite(coordinator, review_case, second)
    assert reviewers(review_case, caisi) == 2

    assignment_services.respond_to_invitation(
        actor=second,
        assignment_id=invited.pk,
        accept=False,
        financial_interest=False,
        recent_employment=False,
        decline_reason="On leave.",
    )
    assert reviewers(review_case, caisi) == 1

    conflicted = invite(coordinator, review_case, third)
    assert reviewers(review_case, caisi) == 2
    assignment_services.respond_to_invitation(
        actor=third,
        assignment_id=conflicted.pk,
        accept=True,
        financial_interest=True,
        recent_employment=False,
    )
    assert reviewers(review_case, caisi) == 1

    assignment_services.complete_assignment(actor=reviewer, assignment_id=first.pk)
    assert reviewers(review_case, caisi) == 0

    removed = invite(coordinator, review_case, fourth)
    assert reviewers(review_case, caisi) == 1
    assignment_services.remove_assignment(actor=coordinator, assignment_id=removed.pk)
    assert reviewers(review_case, caisi) == 0

    # By hand, as an administrator might: the count follows a deletion too.
    again = invite(coordinator, review_case, fourth)
    assert reviewers(review_case, caisi) == 1
    Assignment.objects.get(pk=again.pk).delete()
    assert reviewers(review_case, caisi) == 0
    assert reviewers(review_case, nsa) == nsa_before


def test_the_database_keeps_the_count():
    assert database_triggers("reviews_assignment") >= {
        "reviews_assignment_count_reviewers_insert",
        "reviews_assignment_count_reviewers_update",
        "reviews_assignment_count_reviewers_delete",
    }
    assert "reviews_caserouting_count_reviewers" in database_triggers("cases_caserouting")


def made(case, agency, coordinator, *statuses) -> list[Assignment]:
    """Assignments in these statuses, by ``bulk_create`` (no save(), no signals)."""
    people = [
        make_person(
            f"bulk-{agency.slug}-{Assignment.objects.count()}-{i}", unit=agency, role=Role.REVIEWER
        )
        for i in range(len(statuses))
    ]
    return Assignment.objects.bulk_create(
        Assignment(
            case=case,
            reviewer=person,
            agency=agency,
            status=status,
            due_date=case.review_due - timedelta(days=10),
            invited_by=coordinator,
        )
        for person, status in zip(people, statuses, strict=True)
    )


@pytest.mark.parametrize("status", Assignment.Status.values)
def test_only_invited_and_accepted_reviewers_count(review_case, coordinator, caisi, status):
    made(review_case, caisi, coordinator, status)
    assert reviewers(review_case, caisi) == (1 if status in Assignment.ACTIVE else 0)


def test_bulk_writes_of_assignments_keep_the_count(review_case, coordinator, caisi, nsa):
    S = Assignment.Status
    invited, accepted, declined, completed = made(
        review_case, caisi, coordinator, S.INVITED, S.ACCEPTED, S.DECLINED, S.COMPLETED
    )
    assert reviewers(review_case, caisi) == 2
    assert reviewers(review_case, nsa) == 0

    mine = Assignment.objects.filter(case=review_case, agency=caisi)
    mine.filter(pk__in=[invited.pk, accepted.pk]).update(status=S.REMOVED)
    assert reviewers(review_case, caisi) == 0
    mine.filter(pk=declined.pk).update(status=S.INVITED)
    assert reviewers(review_case, caisi) == 1
    mine.filter(pk=declined.pk).update(status=S.ACCEPTED)  # still active: no change
    assert reviewers(review_case, caisi) == 1
    mine.filter(pk=completed.pk).update(status=S.INVITED)
    assert reviewers(review_case, caisi) == 2

    # An active assignment moved to the other agency leaves one routing for the other.
    Assignment.objects.filter(pk=completed.pk).update(agency=nsa)
    assert (reviewers(review_case, caisi), reviewers(review_case, nsa)) == (1, 1)

    Assignment.objects.filter(case=review_case).delete()
    assert (reviewers(review_case, caisi), reviewers(review_case, nsa)) == (0, 0)
    assert queue_counts(caisi.pk)["unassigned"] == 1


def test_an_agency_routed_again_finds_its_reviewers(review_case, coordinator, nsa):
    made(review_case, nsa, coordinator, Assignment.Status.ACCEPTED)
    CaseRouting.objects.filter(case=review_case, agency=nsa).delete()
    routing = CaseRouting.objects.create(case=review_case, agency=nsa)
    assert routing.reviewers == 1
    assert reviewers(review_case, nsa) == 1


@pytest.mark.urls("tests.queue_admin")
def test_the_admins_delete_selected_keeps_the_count(
    client, platform_admin, review_case, coordinator, reviewer, caisi
):
    first = assigned(coordinator, review_case, reviewer)
    other = made(review_case, caisi, coordinator, Assignment.Status.INVITED)[0]
    assert reviewers(review_case, caisi) == 2
    assert queue_counts(caisi.pk)["unassigned"] == 0

    client.force_login(platform_admin)
    changelist = reverse("queue_admin:reviews_assignment_changelist")
    selected = {"action": "delete_selected", "_selected_action": [first.pk, other.pk]}
    assert client.post(changelist, selected).status_code == 200  # "Are you sure?"
    response = client.post(changelist, {**selected, "post": "yes"})
    assert response.status_code == 302
    assert not Assignment.objects.filter(pk__in=[first.pk, other.pk]).exists()
    assert reviewers(review_case, caisi) == 0
    assert queue_counts(caisi.pk)["unassigned"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_assignments_made_at_once_both_count(review_case, coordinator, caisi):
    """Each count first locks the case row: the second writer waits, then counts both."""
    first, second = (
        make_person(name, unit=caisi, role=Role.REVIEWER) for name in ("first", "second")
    )

    def assignment(person):
        return Assignment.objects.create(
            case=review_case,
            reviewer=person,
            agency=caisi,
            due_date=review_case.review_due - timedelta(days=10),
            invited_by=coordinator,
        )

    def in_another_transaction():
        try:
            with transaction.atomic():
                assignment(second)
        finally:
            connection.close()

    other = threading.Thread(target=in_another_transaction)
    with transaction.atomic():
        assignment(first)
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), "the second writer should wait for the case row"
    other.join(timeout=10)
    assert not other.is_alive()
    assert reviewers(review_case, caisi) == 2
