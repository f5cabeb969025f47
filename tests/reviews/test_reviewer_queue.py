"""My cases: the reviewer's queue, its filters, sorting, and the severity it may show."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.cases.services import lifecycle as case_services
from reviews.models import Assignment, Marking, Severity
from reviews.selectors import reviewer_queue
from reviews.services import assignments as assignment_services
from reviews.services import requests as request_services
from tests.conftest import Role, make_person
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import assign, invite, record

MY_CASES = reverse("reviews:my_cases")


@pytest.fixture
def submit(make_ready_draft, submitter):
    """``submit(actor=..., reason=..., **fields)``: a new case, submitted and routed to CAISI."""

    def make(*, actor=None, reason="", **fields):
        actor = actor or submitter
        draft = make_ready_draft(actor=actor, **fields)
        case = case_services.submit_case(actor=actor, case_id=draft.pk, short_notice_reason=reason)
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def queue(submit, coordinator, reviewer, other_submitter):
    """Three cases for ``reviewer``: Aurora (accepted, a high finding, an open request),
    Borealis (short notice, accepted, due first) and Zephyr (Meridian's, only invited).
    A fourth case, Nimbus, is someone else's."""
    aurora = submit(model_name="Aurora")
    aurora_assignment = assign(
        coordinator, aurora, reviewer, role=Assignment.Role.LEAD, due=aurora.review_due
    )
    record(reviewer, aurora, severity=Severity.HIGH, evidence=None)
    request_services.open_request(
        actor=reviewer,
        case_id=aurora.pk,
        question="Which safety filters were on?",
        response_due=timezone.localdate() + timedelta(days=10),
    )
    borealis = submit(
        model_name="Borealis",
        planned_release_date=timezone.localdate() + timedelta(days=30),
        reason="A security fix.",
    )
    assign(coordinator, borealis, reviewer, due=timezone.localdate() + timedelta(days=5))
    zephyr = submit(actor=other_submitter, model_name="Zephyr")
    invitation = invite(
        coordinator, zephyr, reviewer, due=timezone.localdate() + timedelta(days=20)
    )
    nimbus = submit(model_name="Nimbus")
    for case in (aurora, borealis, zephyr):
        case.refresh_from_db()
    return {
        "aurora": aurora,
        "borealis": borealis,
        "zephyr": zephyr,
        "nimbus": nimbus,
        "invitation": invitation,
        "aurora_assignment": aurora_assignment,
    }


def names(response) -> list[str]:
    return [case.model_name for case in response.context["page"]]


def test_only_reviewers_open_my_cases(
    client, reviewer, coordinator, submitter, operator, outsider, platform_admin
):
    client.force_login(reviewer)
    assert client.get(MY_CASES).status_code == 200
    for person in (coordinator, submitter, operator, outsider, platform_admin):
        client.force_login(person)
        assert client.get(MY_CASES).status_code == 403, person.username


def test_the_queue_lists_my_cases_and_my_invitations(client, reviewer, queue):
    client.force_login(reviewer)
    response = client.get(MY_CASES)
    assert names(response) == ["Borealis", "Zephyr", "Aurora"]  # by my due date
    assert response.context["total"] == 3
    assert b"Nimbus" not in response.content
    respond = reverse("reviews:assignment_respond", args=[queue["invitation"].pk])
    assert list(response.context["invitations"]) == [queue["invitation"]]
    assert respond.encode() in response.content
    assert b"Invitations awaiting your answer" in response.content
    # Accepted cases offer completing the review; the invitation does not.
    complete = reverse("reviews:assignment_complete", args=[queue["aurora_assignment"].pk])
    assert complete.encode() in response.content
    assert response.content.count(b"Mark my review complete") == 2


def test_another_reviewer_sees_none_of_them(client, queue, caisi):
    colleague = make_person("colleague", unit=caisi, role=Role.REVIEWER)
    client.force_login(colleague)
    response = client.get(MY_CASES)
    assert response.context["total"] == 0
    assert list(response.context["invitations"]) == []
    assert list(response.context["filter"].form.fields["developer"].choices) == [
        ("", "Any developer")
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_review"}, ["Borealis"]),
        ({"status": "info_requested"}, ["Aurora"]),  # its open request paused the clock
        ({"short_notice": "true"}, ["Borealis"]),
        ({"short_notice": "false"}, ["Zephyr", "Aurora"]),
        ({"open_request": "true"}, ["Aurora"]),
        ({"open_request": "false"}, ["Borealis", "Zephyr"]),
        ({"severity": "3"}, ["Aurora"]),
        ({"severity": "4"}, []),
        ({"q": "zeph"}, ["Zephyr"]),
        ({"assignment": "invited"}, ["Zephyr"]),
        ({"assignment": "accepted"}, ["Borealis", "Aurora"]),
        ({"assignment": "completed"}, []),
        ({"q": "FMR-"}, ["Borealis", "Zephyr", "Aurora"]),
        ({"sort": "-due"}, ["Aurora", "Zephyr", "Borealis"]),
        ({"sort": "number"}, ["Aurora", "Borealis", "Zephyr"]),
        ({"sort": "severity"}, ["Aurora", "Borealis", "Zephyr"]),
    ],
)
def test_filters_and_sorting(client, reviewer, queue, query, expected):
    client.force_login(reviewer)
    response = client.get(MY_CASES, query)
    assert response.status_code == 200
    assert names(response) == expected
    assert response.context["total"] == len(expected)


def test_due_date_filters_use_my_due_date(client, reviewer, queue):
    today = timezone.localdate()
    client.force_login(reviewer)
    before = client.get(MY_CASES, {"due_before": (today + timedelta(days=10)).isoformat()})
    assert names(before) == ["Borealis"]
    after = client.get(MY_CASES, {"due_after": (today + timedelta(days=10)).isoformat()})
    assert names(after) == ["Zephyr", "Aurora"]


def test_developer_choices_are_only_the_developers_of_my_cases(
    client, reviewer, queue, developer, other_developer
):
    from portal.accounts.models import Organization

    stranger = Organization.objects.create(name="Outside AI", slug="outside", kind="developer")
    client.force_login(reviewer)
    response = client.get(MY_CASES)
    choices = list(response.context["filter"].form.fields["developer"].choices)[1:]
    # Meridian ML, Northwind Labs
    assert choices == [(other_developer.pk, other_developer.name), (developer.pk, developer.name)]
    assert b"Outside AI" not in response.content
    assert names(client.get(MY_CASES, {"developer": other_developer.pk})) == ["Zephyr"]
    refused = client.get(MY_CASES, {"developer": stranger.pk})
    assert "developer" in refused.context["filter"].errors
    assert names(refused) == []


def test_developer_choices_are_read_once_and_follow_my_assignments_at_once(
    client, reviewer, queue, submit, coordinator, developer, other_developer, other_submitter
):
    """Cached per reviewer, under a version of their assignments: a repeat view reads
    no developers, and a declined or new invitation changes the choices at once."""

    def choices():
        response = client.get(MY_CASES)
        return [
            name
            for _pk, name in list(response.context["filter"].form.fields["developer"].choices)[1:]
        ]

    client.force_login(reviewer)
    assert choices() == [other_developer.name, developer.name]
    with CaptureQueriesContext(connection) as queries:
        client.get(MY_CASES)
    assert not [q for q in queries if q["sql"].startswith('SELECT "accounts_organization"')]

    # Zephyr was Meridian's only case here: declining it takes Meridian away.
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=queue["invitation"].pk,
        accept=False,
        financial_interest=False,
        recent_employment=False,
        other_conflict="",
        decline_reason="No time this month.",
    )
    assert choices() == [developer.name]
    # A new invitation to a Meridian case brings it back.
    invite(coordinator, submit(actor=other_submitter, model_name="Cirrus"), reviewer)
    assert choices() == [other_developer.name, developer.name]


@pytest.mark.parametrize(
    "query",
    [
        {"severity": "abc"},
        {"severity": "9"},
        {"q": "x" * 5000},
        {"due_before": "yesterday"},
        {"sort": "password"},
        {"sort": "reviewer__password"},
        {"status": "<script>"},
        {"developer": "abc"},
        {"assignment": "declined"},
        {"open_request": "maybe"},
    ],
)
def test_bad_filter_values_are_form_errors(client, reviewer, queue, query):
    client.force_login(reviewer)
    response = client.get(MY_CASES, query)
    assert response.status_code == 200
    errors = response.context["filter"].errors
    if query.get("open_request") == "maybe":
        # A select of yes/no/any: an unknown value counts as "any".
        assert not errors
        return
    assert set(errors) == set(query)
    assert names(response) == []
    assert b"Fix the filters above" in response.content


def test_the_queue_is_paginated(client, reviewer, submit, coordinator):
    for number in range(27):
        case = submit(model_name=f"Model {number:02d}")
        invite(coordinator, case, reviewer)
    client.force_login(reviewer)
    response = client.get(MY_CASES, {"sort": "number"})
    assert response.context["total"] == 27
    assert len(response.context["page"]) == 25
    second = client.get(MY_CASES, {"sort": "number", "page": "2"})
    assert names(second) == ["Model 25", "Model 26"]
    assert client.get(MY_CASES, {"page": "abc"}).status_code == 200


# The severity the queue shows comes only from findings the reviewer may read.


@pytest.mark.parametrize("marking", Marking.values)
def test_queue_severity_counts_only_findings_inside_the_marking(
    client, personas_matrix, review_case, nsa_coordinator, nsa_reviewer, caisi, marking
):
    assign(nsa_coordinator, review_case, nsa_reviewer)
    invited = make_person("invited", unit=caisi, role=Role.REVIEWER)
    invite(personas_matrix["coordinator"], review_case, invited)
    record(personas_matrix["author"], review_case, severity=Severity.CRITICAL, marking=marking)
    nsa_reads = marking != Marking.AGENCY_ONLY
    expectations = {
        personas_matrix["author"]: Severity.CRITICAL,
        nsa_reviewer: Severity.CRITICAL if nsa_reads else 0,
        invited: 0,  # not accepted: may not read the case's findings yet
    }
    for person, severity in expectations.items():
        assert reviewer_queue(person).get(pk=review_case.pk).top_severity == severity
        client.force_login(person)
        response = client.get(MY_CASES, {"severity": "4"})
        assert names(response) == (["Aurora"] if severity else []), person.username
        listed = client.get(MY_CASES)
        shown = b'data-label="Highest severity">Critical' in listed.content
        assert shown == bool(severity), person.username


# Query budget: the same number of queries at any size.


def count_queries(client, query=None) -> int:
    client.get(MY_CASES, query or {})  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MY_CASES, query or {})
    assert response.status_code == 200
    return len(queries)


def test_my_cases_makes_a_fixed_number_of_queries(
    client, reviewer, submit, coordinator, caisi, nsa
):
    def add_case(number, findings):
        case = submit(model_name=f"Model {number:02d}")
        assign(coordinator, case, reviewer)
        for index in range(findings):
            record(reviewer, case, title=f"F{index}", severity=2 + index % 3, evidence=None)
        return case

    cases = [add_case(0, 1), add_case(1, 1)]
    invite(coordinator, submit(model_name="Invited 0"), reviewer)
    client.force_login(reviewer)
    count_queries(client)  # Warm the caches (content types) that any page fills once.
    small = count_queries(client)
    # Session, person, the held assignments, the page's cases, the invitations: the
    # developer choices come from the cache on a repeat view.
    assert small <= 5
    small_filtered = count_queries(client, {"severity": "2", "sort": "severity", "q": "Model"})
    assert client.get(MY_CASES, {"severity": "2", "q": "Model"}).context["total"] == 2

    others = [make_person(f"peer-{n}", unit=caisi, role=Role.REVIEWER) for n in range(10)]
    for number in range(2, 20):
        case = add_case(number, 2 if number < 16 else 0)
        cases.append(case)
        assign(coordinator, case, others[number % 10])
    for number in range(1, 5):
        invite(coordinator, submit(model_name=f"Invited {number}"), reviewer)
    client.force_login(reviewer)
    response = client.get(MY_CASES)
    assert response.context["total"] == 25 and len(response.context["invitations"]) == 5
    assert count_queries(client) <= small
    assert count_queries(client, {"severity": "2", "sort": "severity", "q": "Model"}) <= (
        small_filtered
    )


def test_only_the_soonest_invitations_are_listed_up_top_with_a_link_to_all(
    client, reviewer, submit, coordinator
):
    for number in range(7):
        invite(
            coordinator,
            submit(model_name=f"Invited {number}"),
            reviewer,
            due=timezone.localdate() + timedelta(days=30 - number),
        )
    client.force_login(reviewer)
    response = client.get(MY_CASES)
    shown = response.context["invitations"]
    assert len(shown) == 5 and response.context["invitation_count"] == 7
    # Soonest due first: the last two invited are due first.
    assert [a.case.model_name for a in shown[:2]] == ["Invited 6", "Invited 5"]
    assert b"7 invitations wait for your answer" in response.content
    assert b'href="/reviews/mine/?assignment=invited"' in response.content
    # The link's filter lists every invitation.
    listed = client.get(MY_CASES, {"assignment": "invited"})
    assert listed.context["total"] == 7
    assert client.get(MY_CASES, {"assignment": "accepted"}).context["total"] == 0


def test_a_few_invitations_are_all_shown_without_a_link(client, reviewer, queue):
    client.force_login(reviewer)
    response = client.get(MY_CASES)
    assert response.context["invitation_count"] == 1
    assert b"?assignment=invited" not in response.content


def test_a_reviewer_who_completed_still_sees_the_severity(
    client, personas_matrix, review_case, caisi
):
    author = personas_matrix["author"]
    record(author, review_case, severity=Severity.HIGH, marking=Marking.INTERAGENCY)
    done = make_person("done", unit=caisi, role=Role.REVIEWER)
    assignment = assign(personas_matrix["coordinator"], review_case, done)
    assignment_services.complete_assignment(actor=done, assignment_id=assignment.pk)
    row = reviewer_queue(done).get(pk=review_case.pk)
    assert (row.my_status, row.top_severity) == (Assignment.Status.COMPLETED, Severity.HIGH)
