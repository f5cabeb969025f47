"""The agency queue's words: only a case still under review can lack a reviewer.

A case whose recommendation is issued, released or withdrawn has no active
reviewer because its review is over, not because nobody took it: the queue
neither tags it "Unassigned" nor counts it "without a reviewer".
"""

import pytest
from django.urls import reverse

from portal.cases.models import CaseStatus, Submission
from reviews.selectors import needs_reviewer
from tests.reviews.fixtures_coordinator import *  # noqa: F403  (the fixtures in its __all__)

QUEUE = reverse("reviews:agency_queue")


def set_status(case, status):
    # The routing's copy of the status follows through the database trigger.
    Submission.objects.filter(pk=case.pk).update(status=status)


@pytest.mark.parametrize(
    ("status", "unassigned"),
    [
        (CaseStatus.SUBMITTED, True),
        (CaseStatus.IN_REVIEW, True),
        (CaseStatus.INFO_REQUESTED, True),
        (CaseStatus.RECOMMENDATION_ISSUED, False),
        (CaseStatus.RELEASED, False),
        (CaseStatus.WITHDRAWN, False),
    ],
)
def test_only_a_case_under_review_is_unassigned(client, coordinator, case, status, unassigned):
    set_status(case, status)
    client.force_login(coordinator)
    response = client.get(QUEUE, {"status": "all"})
    html = response.content.decode()
    [row] = response.context["page"].object_list
    assert row.reviewer_count == 0
    assert row.needs_reviewer is unassigned
    assert ("Unassigned" in html) is unassigned
    assert response.context["counts"]["unassigned"] == (1 if unassigned else 0)


def test_a_case_with_a_reviewer_is_never_unassigned():
    for status in CaseStatus.values:
        assert needs_reviewer(status, 1) is False


def test_unassigned_first_means_cases_under_review_with_nobody_on_them(
    client, coordinator, submit_case
):
    issued = submit_case(notice_days=30, model_name="Issued")
    waiting = submit_case(notice_days=90, model_name="Waiting")
    set_status(issued, CaseStatus.RECOMMENDATION_ISSUED)
    client.force_login(coordinator)
    rows = client.get(QUEUE).context["page"].object_list
    # The issued case is due sooner, but it waits for nobody: the waiting case comes first.
    assert [case.pk for case in rows] == [waiting.pk, issued.pk]
