"""The agency queue's counts, cached (``reviews.loads``): every write that changes a
count is seen at once, whichever path makes it.

Each test reads the cached counts, makes one write, and reads them again: the
second read must equal a fresh count (``queue_counts``), never the kept one.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from reviews import loads
from reviews.models import Assignment, InformationRequest
from reviews.selectors import (
    _held_assignments,
    cached_queue_counts,
    held_assignments,
    queue_counts,
)
from reviews.services import assignments as assignment_services
from reviews.services import requests as request_services
from tests.reviews.fixtures_coordinator import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_coordinator import assigned, invite

QUEUE = reverse("reviews:agency_queue")


def counts_after(agency, write) -> dict:
    """The cached counts, read before and after ``write()``: the second read is returned,
    having checked it is a fresh count."""
    cached_queue_counts(agency.pk)  # kept in the cache
    write()
    counts = cached_queue_counts(agency.pk)
    assert counts == queue_counts(agency.pk)
    return counts


def test_the_counts_are_read_once_then_kept(caisi, case):
    assert cached_queue_counts(caisi.pk)["open"] == 1
    with CaptureQueriesContext(connection) as queries:
        assert cached_queue_counts(caisi.pk)["open"] == 1
    assert len(queries) == 0


def test_a_submitted_case_is_counted(caisi, case, submit_case):
    assert counts_after(caisi, submit_case)["open"] == 2


def test_a_routing_to_another_agency_counts_there(coordinator, caisi, nsa, case):
    counts = counts_after(
        nsa, lambda: case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    )
    assert counts["open"] == 1


def test_a_deleted_routing_is_no_longer_counted(caisi, case):
    routing = CaseRouting.objects.get(case=case, agency=caisi)
    assert counts_after(caisi, routing.delete)["open"] == 0


def test_routings_deleted_in_bulk_are_no_longer_counted(caisi, case):
    def delete():
        CaseRouting.objects.filter(case=case).delete()

    assert counts_after(caisi, delete)["open"] == 0


def test_assignments_change_the_cases_without_a_reviewer(coordinator, reviewer, caisi, case_in):
    case = case_in(CaseStatus.IN_REVIEW)
    assert cached_queue_counts(caisi.pk)["unassigned"] == 1
    assignment = invite(coordinator, case, reviewer)
    assert counts_after(caisi, lambda: None)["unassigned"] == 0

    def remove():
        assignment_services.remove_assignment(actor=coordinator, assignment_id=assignment.pk)

    assert counts_after(caisi, remove)["unassigned"] == 1

    def bulk_update():
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.INVITED)

    assert counts_after(caisi, bulk_update)["unassigned"] == 0


@pytest.mark.parametrize(
    ("status", "open_", "unassigned"),
    [
        (CaseStatus.RECOMMENDATION_ISSUED, 1, 0),
        (CaseStatus.WITHDRAWN, 0, 0),
        (CaseStatus.RELEASED, 0, 0),
        (CaseStatus.INFO_REQUESTED, 1, 1),
    ],
)
def test_any_saved_status_is_seen(caisi, case_in, status, open_, unassigned):
    case = case_in(CaseStatus.IN_REVIEW)

    def move():
        case.status = status
        case.save(update_fields=["status", "updated_at"])

    counts = counts_after(caisi, move)
    assert (counts["open"], counts["unassigned"]) == (open_, unassigned)


def test_an_issued_recommendation_needs_no_reviewer(coordinator, caisi, case_in):
    case = case_in(CaseStatus.IN_REVIEW)
    assert cached_queue_counts(caisi.pk)["unassigned"] == 1

    def issue():
        case_services.mark_recommendation_issued(actor=coordinator, case_id=case.pk)

    assert counts_after(caisi, issue)["unassigned"] == 0


def test_a_withdrawal_is_seen(submitter, caisi, case):
    def withdraw():
        case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Cancelled.")

    assert counts_after(caisi, withdraw)["open"] == 0


def test_a_queryset_update_of_cases_is_seen(caisi, case):
    def update():
        Submission.objects.filter(pk=case.pk).update(status=CaseStatus.WITHDRAWN)

    assert counts_after(caisi, update)["open"] == 0


@pytest.mark.parametrize("flag", ["short_notice", "capability_jump"])
def test_the_flags_are_seen_saved_or_updated(caisi, case, flag):
    def save():
        setattr(case, flag, True)
        case.save(update_fields=[flag, "updated_at"])

    assert counts_after(caisi, save)[flag] == 1

    def update():
        Submission.objects.filter(pk=case.pk).update(**{flag: False})

    assert counts_after(caisi, update)[flag] == 0


def test_information_requests_are_seen(coordinator, reviewer, submitter, caisi, case_in):
    case = case_in(CaseStatus.IN_REVIEW)
    assigned(coordinator, case, reviewer)

    def ask():
        request_services.open_request(
            actor=reviewer,
            case_id=case.pk,
            question="Which data?",
            response_due=timezone.localdate() + timedelta(days=7),
        )

    assert counts_after(caisi, ask)["waiting_on_developer"] == 1
    request = InformationRequest.objects.get(case=case)

    def answer():
        request_services.answer_request(actor=submitter, request_id=request.pk, answer="These.")

    assert counts_after(caisi, answer)["waiting_on_developer"] == 0
    request.status = InformationRequest.Status.OPEN
    assert counts_after(caisi, request.save)["waiting_on_developer"] == 1
    assert counts_after(caisi, request.delete)["waiting_on_developer"] == 0


def test_a_count_read_before_the_commit_is_not_kept(
    caisi, case, django_capture_on_commit_callbacks
):
    """A page that counts between the write and its commit sees the old rows; the
    commit starts a new generation, so that count is not served afterwards."""
    routing = CaseRouting.objects.get(case=case, agency=caisi)
    with django_capture_on_commit_callbacks(execute=True):
        routing.delete()
        # What another connection would still see: the routing, counted before the commit.
        loads.kept("queue_counts", caisi.pk, lambda _agency: {"open": 1})
        assert cached_queue_counts(caisi.pk) == {"open": 1}
    assert cached_queue_counts(caisi.pk)["open"] == 0


def test_the_queue_page_reads_the_kept_counts(client, coordinator, caisi, case):
    client.force_login(coordinator)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert response.context["counts"] == queue_counts(caisi.pk)
    aggregates = [q["sql"] for q in queries.captured_queries if "FILTER (WHERE" in q["sql"]]
    assert not [sql for sql in aggregates if "cases_caserouting" in sql]


def test_a_reviewers_held_assignments_follow_every_assignment_write(
    coordinator, reviewer, case, submit_case
):
    """``held_assignments`` (the reviewer's list: its total and waiting invitations) is
    kept under the same generation: each assignment write is seen at once."""

    def held_after(write) -> dict:
        held_assignments(reviewer)
        write()
        held = held_assignments(reviewer)
        assert held == _held_assignments(reviewer.pk)
        return held["counts"]

    assignment = None

    def invite_one():
        nonlocal assignment
        assignment = invite(coordinator, case, reviewer)

    assert held_after(invite_one) == {Assignment.Status.INVITED: 1}
    with CaptureQueriesContext(connection) as queries:
        held_assignments(reviewer)
    assert len(queries) == 0

    def decline():
        assignment_services.respond_to_invitation(
            actor=reviewer,
            assignment_id=assignment.pk,
            accept=False,
            financial_interest=False,
            recent_employment=False,
            decline_reason="Busy.",
        )

    assert held_after(decline) == {}

    def bulk_update():
        Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.ACCEPTED)

    assert held_after(bulk_update) == {Assignment.Status.ACCEPTED: 1}
    other = submit_case()
    assert held_after(lambda: assigned(coordinator, other, reviewer)) == {
        Assignment.Status.ACCEPTED: 2
    }
