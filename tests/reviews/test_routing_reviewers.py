"""Each routing counts its agency's invited and accepted reviewers on the case.

The agency queue sorts "unassigned first" and counts unassigned cases from
``CaseRouting.reviewers``, so the count must follow every change of an
assignment: invited, accepted, declined, conflict declared, removed, completed,
deleted by hand; and the other agency's routing is never touched.
"""

import pytest

from portal.cases.models import CaseRouting
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from tests.conftest import Role, make_person
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
