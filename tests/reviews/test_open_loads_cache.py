"""The reviewers' open loads, cached (``reviews.loads``): every write that changes a
load is seen at once, whichever path makes it.

Each test reads the cached loads, makes one write, and reads them again: the
second read must equal a fresh count (``open_loads``), never the kept one.
"""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from reviews.loads import GENERATION
from reviews.models import Assignment
from reviews.selectors import cached_open_loads, open_loads
from reviews.services import assignments as assignment_services
from tests.reviews.fixtures_coordinator import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_coordinator import assigned, due_in, invite


def loads_after(agency, write) -> dict[int, int]:
    """The cached loads, read before and after ``write()``: the second read is returned,
    having checked it is a fresh count."""
    cached_open_loads(agency.pk)  # kept in the cache
    write()
    loads = cached_open_loads(agency.pk)
    assert loads == open_loads(agency.pk)
    return loads


def test_the_loads_are_read_once_then_kept(coordinator, reviewer, caisi, case):
    invite(coordinator, case, reviewer)
    assert cached_open_loads(caisi.pk) == {reviewer.pk: 1}
    with CaptureQueriesContext(connection) as queries:
        assert cached_open_loads(caisi.pk) == {reviewer.pk: 1}
    assert len(queries) == 0


def test_an_invitation_adds_to_the_load(coordinator, reviewer, caisi, case):
    loads = loads_after(caisi, lambda: invite(coordinator, case, reviewer))
    assert loads == {reviewer.pk: 1}


def test_a_declined_invitation_leaves_it(coordinator, reviewer, caisi, case):
    assignment = invite(coordinator, case, reviewer)

    def decline():
        assignment_services.respond_to_invitation(
            actor=reviewer,
            assignment_id=assignment.pk,
            accept=False,
            financial_interest=False,
            recent_employment=False,
            decline_reason="Busy.",
        )

    assert loads_after(caisi, decline) == {}


def test_a_removal_and_a_completion_leave_it(coordinator, reviewer, second_reviewer, caisi, case):
    removed = assigned(coordinator, case, reviewer)
    done = assigned(coordinator, case, second_reviewer)
    assert cached_open_loads(caisi.pk) == {reviewer.pk: 1, second_reviewer.pk: 1}

    def remove():
        assignment_services.remove_assignment(actor=coordinator, assignment_id=removed.pk)

    assert loads_after(caisi, remove) == {second_reviewer.pk: 1}

    def complete():
        assignment_services.complete_assignment(actor=second_reviewer, assignment_id=done.pk)

    assert loads_after(caisi, complete) == {}


def test_bulk_writes_of_assignments_change_it(coordinator, reviewer, caisi, case, submit_case):
    invite(coordinator, case, reviewer)
    other = submit_case()

    def bulk_create():
        Assignment.objects.bulk_create(
            [
                Assignment(
                    case=other,
                    reviewer=reviewer,
                    agency=caisi,
                    due_date=due_in(other),
                    invited_by=coordinator,
                )
            ]
        )

    assert loads_after(caisi, bulk_create) == {reviewer.pk: 2}

    def update():
        Assignment.objects.filter(case=other).update(status=Assignment.Status.REMOVED)

    assert loads_after(caisi, update) == {reviewer.pk: 1}

    def delete():
        Assignment.objects.filter(case=case).delete()

    assert loads_after(caisi, delete) == {}


def test_deleting_one_assignment_changes_it(coordinator, reviewer, caisi, case):
    assignment = invite(coordinator, case, reviewer)
    assert loads_after(caisi, assignment.delete) == {}


def test_a_withdrawn_case_weighs_on_nobody(coordinator, reviewer, submitter, caisi, case):
    assigned(coordinator, case, reviewer)

    def withdraw():
        case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Cancelled.")

    assert loads_after(caisi, withdraw) == {}


def test_a_released_case_weighs_on_nobody(coordinator, reviewer, submitter, caisi, case):
    assigned(coordinator, case, reviewer)

    def release():
        case_services.mark_released(
            actor=submitter, case_id=case.pk, released_on=timezone.localdate()
        )

    assert loads_after(caisi, release) == {}


@pytest.mark.parametrize(
    ("status", "load"),
    [
        (CaseStatus.RECOMMENDATION_ISSUED, {}),
        (CaseStatus.WITHDRAWN, {}),
        (CaseStatus.INFO_REQUESTED, None),
    ],
)
def test_any_saved_status_is_seen(coordinator, reviewer, caisi, case, status, load):
    """A case leaving review, however its status is saved (the services save it so)."""
    invite(coordinator, case, reviewer)

    def move():
        case.status = status
        case.save(update_fields=["status", "updated_at"])

    assert loads_after(caisi, move) == ({reviewer.pk: 1} if load is None else load)


def test_a_case_back_in_review_weighs_again(coordinator, reviewer, caisi, case):
    invite(coordinator, case, reviewer)
    case.status = CaseStatus.RECOMMENDATION_ISSUED
    case.save()
    assert cached_open_loads(caisi.pk) == {}

    def reopen():
        case.status = CaseStatus.IN_REVIEW
        case.save()

    assert loads_after(caisi, reopen) == {reviewer.pk: 1}


def test_a_deleted_case_weighs_on_nobody(coordinator, reviewer, caisi, case):
    invite(coordinator, case, reviewer)
    case.artifacts.all().delete()  # kept from deletion while the case has them

    assert loads_after(caisi, case.delete) == {}


def test_a_write_forgets_again_when_it_commits(
    coordinator, reviewer, caisi, case, django_capture_on_commit_callbacks
):
    """A page read between the write and its commit counted the rows as they were: the
    commit starts another generation, so that count is not kept."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(coordinator, case, reviewer)
    before_commit = cache.get(GENERATION)
    cached_open_loads(caisi.pk)  # a read before the commit, kept under that generation
    for callback in callbacks:
        callback()
    assert cache.get(GENERATION) != before_commit
