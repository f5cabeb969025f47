"""The coordinator's dashboard: the agency's routed cases and its reviewers' loads.

Unassigned cases come first, then the soonest due. Each row carries what the
coordinator needs to triage (flags, reviewers, the highest finding they may
read), all from one queryset, so the page costs the same at any size.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from reviews.models import Finding
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
from reviews.services import requests as request_services
from tests.conftest import Role, make_person
from tests.reviews.fixtures_coordinator import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_coordinator import assigned, invite, today

QUEUE = reverse("reviews:agency_queue")
REVIEWERS = reverse("reviews:agency_reviewers")


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


def record_finding(reviewer, case, severity, marking=Finding.Marking.AGENCY_ONLY):
    return finding_services.record_finding(
        actor=reviewer,
        case_id=case.pk,
        title=f"Finding of severity {severity}",
        category=Finding.Category.CYBER_OFFENSE,
        severity=severity,
        description="Writes working exploits for a known CVE.",
        marking=marking,
    )


@pytest.mark.parametrize(
    "persona", ["reviewer", "submitter", "org_admin", "operator", "outsider", "platform_admin"]
)
def test_the_queue_is_a_coordinator_page(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(QUEUE)
    assert response.status_code == 403
    assert b"for another role" in response.content


def test_the_queue_answers_get_only(client, coordinator):
    client.force_login(coordinator)
    assert client.post(QUEUE).status_code == 405


def test_the_queue_lists_the_cases_routed_to_the_agency_only(
    client, coordinator, nsa_coordinator, nsa, submit_case, make_ready_draft
):
    routed = submit_case(model_name="Aurora")
    make_ready_draft(model_name="Still a draft")
    client.force_login(nsa_coordinator)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "NSA queue" in response.content.decode()
    assert numbers(response) == []

    case_services.route_case(actor=coordinator, case_id=routed.pk, agency=nsa)
    assert numbers(client.get(QUEUE)) == [routed.number]

    client.force_login(coordinator)
    response = client.get(QUEUE)
    assert numbers(response) == [routed.number]
    html = response.content.decode()
    assert f'href="{reverse("reviews:workspace", args=[routed.pk])}"' in html
    assert "Still a draft" not in html


def test_unassigned_cases_come_first_then_the_soonest_due(
    client, coordinator, reviewer, second_reviewer, submit_case
):
    unassigned_60 = submit_case(notice_days=60)
    two_reviewers_30 = submit_case(notice_days=30)
    one_reviewer_45 = submit_case(notice_days=45)
    unassigned_90 = submit_case(notice_days=90)
    invite(coordinator, two_reviewers_30, reviewer)
    invite(coordinator, two_reviewers_30, second_reviewer)
    assigned(coordinator, one_reviewer_45, reviewer)

    client.force_login(coordinator)
    response = client.get(QUEUE)
    assert numbers(response) == [
        unassigned_60.number,
        unassigned_90.number,
        two_reviewers_30.number,
        one_reviewer_45.number,
    ]
    counts = {case.number: case.reviewer_count for case in response.context["page"]}
    assert counts[two_reviewers_30.number] == 2 and counts[one_reviewer_45.number] == 1


def test_a_removed_or_declined_reviewer_leaves_the_case_unassigned(
    client, coordinator, reviewer, case
):
    assignment = invite(coordinator, case, reviewer)
    assignment_services.remove_assignment(actor=coordinator, assignment_id=assignment.pk)
    client.force_login(coordinator)
    row = client.get(QUEUE).context["page"].object_list[0]
    assert row.reviewer_count == 0
    assert "Unassigned" in client.get(QUEUE).content.decode()


def test_each_row_shows_due_date_flags_and_the_highest_finding_the_coordinator_may_read(
    client, coordinator, reviewer, nsa_coordinator, nsa_reviewer, nsa, submit_case
):
    from datetime import timedelta

    short = submit_case(
        planned_release_date=today() + timedelta(days=20),
        short_notice_reason="A security fix must ship.",
        model_name="Zephyr",
    )
    case_services.route_case(actor=coordinator, case_id=short.pk, agency=nsa)
    assigned(coordinator, short, reviewer)  # accepting starts the review
    assigned(nsa_coordinator, short, nsa_reviewer)
    record_finding(reviewer, short, Finding.Severity.HIGH)
    # NSA's own critical finding stays NSA's: CAISI's queue does not hint at it.
    record_finding(nsa_reviewer, short, Finding.Severity.CRITICAL)
    request_services.open_request(
        actor=reviewer,
        case_id=short.pk,
        question="Which red-team results are final?",
        response_due=today() + timedelta(days=7),
    )
    plain = submit_case(model_name="Aurora")

    client.force_login(coordinator)
    response = client.get(QUEUE)
    rows = {case.number: case for case in response.context["page"]}
    row = rows[short.number]
    assert (row.short_notice, row.has_open_request, row.reviewer_count) == (True, True, 1)
    assert row.top_severity_label == "High"
    assert row.status == CaseStatus.INFO_REQUESTED
    assert rows[plain.number].top_severity_label == ""
    assert not rows[plain.number].has_open_request
    assert rows[plain.number].days_left == (plain.review_due - today()).days
    html = response.content.decode()
    assert "Short notice" in html and "Information requested" in html
    assert "Critical" not in html
    assert f"{(plain.review_due - today()).days} days left" in html
    assert "Northwind Labs" in html and "Zephyr" in html

    client.force_login(nsa_coordinator)
    row = client.get(QUEUE).context["page"].object_list[0]
    assert row.top_severity_label == "Critical"


def test_search_status_filter_and_counts(client, coordinator, submitter, submit_case):
    aurora = submit_case(model_name="Aurora")
    zephyr = submit_case(model_name="Zephyr")
    gone = submit_case(model_name="Gone")
    case_services.withdraw_case(actor=submitter, case_id=gone.pk, reason="Cancelled.")
    client.force_login(coordinator)

    response = client.get(QUEUE)
    assert sorted(numbers(response)) == sorted([aurora.number, zephyr.number])
    assert response.context["counts"] == {
        "open": 2,
        "unassigned": 2,
        "short_notice": 0,
        "waiting_on_developer": 0,
        "capability_jump": 0,
    }
    assert numbers(client.get(QUEUE, {"q": "zeph"})) == [zephyr.number]
    assert numbers(client.get(QUEUE, {"q": aurora.number})) == [aurora.number]
    assert numbers(client.get(QUEUE, {"status": "withdrawn"})) == [gone.number]
    assert len(numbers(client.get(QUEUE, {"status": "all"}))) == 3
    # An unknown status shows nothing rather than everything.
    response = client.get(QUEUE, {"status": "nonsense"})
    assert response.status_code == 200 and numbers(response) == []


def test_the_agency_reviewers_are_listed_with_their_open_load(
    client, coordinator, reviewer, second_reviewer, nsa_reviewer, caisi, submitter, submit_case
):
    make_person("gone", unit=caisi, role=Role.REVIEWER, is_active=False)
    first, second, withdrawn = submit_case(), submit_case(), submit_case()
    invite(coordinator, first, reviewer)
    assigned(coordinator, second, reviewer)
    assigned(coordinator, withdrawn, reviewer)
    case_services.withdraw_case(actor=submitter, case_id=withdrawn.pk, reason="Cancelled.")

    client.force_login(coordinator)
    response = client.get(REVIEWERS)
    loads = {person.username: person.open_load for person in response.context["reviewers"]}
    # A withdrawn case is no longer work; other agencies' and inactive people are not listed.
    assert loads == {"reviewer": 2, "second-reviewer": 0}
    assert "Reviewers of CAISI" in response.content.decode()
    # The queue links to the page; the assign form labels each reviewer with the same load.
    assert REVIEWERS in client.get(QUEUE).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(REVIEWERS).status_code == 200
    assert len(queries.captured_queries) <= 9


def test_the_queue_pages_by_25_and_costs_the_same_at_any_size(
    client, coordinator, caisi, submit_case, django_assert_max_num_queries
):
    def add(cases, reviewers, start):
        people = [
            make_person(f"r{start + n}", unit=caisi, role=Role.REVIEWER) for n in range(reviewers)
        ]
        for n in range(cases):
            case = submit_case(model_name=f"Model {start + n}")
            if n % 2:
                assigned(coordinator, case, people[n % len(people)])

    add(3, 2, 0)
    client.force_login(coordinator)
    client.get(QUEUE)  # warms the per-process caches (content types) before counting
    with CaptureQueriesContext(connection) as captured:
        assert client.get(QUEUE).status_code == 200
    few = len(captured)  # now: the next request resets the connection's query log
    add(23, 10, 100)
    client.get(QUEUE)  # the header's badges are counted once, then cached
    with django_assert_max_num_queries(few) as many:
        response = client.get(QUEUE)
    assert len(many) == few
    assert response.context["total"] == 26
    assert len(response.context["page"].object_list) == 25
    assert len(numbers(client.get(QUEUE, {"page": 2}))) == 1


def test_the_total_is_the_number_of_rows_under_every_filter(
    client, coordinator, submitter, submit_case
):
    submit_case(model_name="Aurora")
    submit_case(model_name="Zephyr")
    gone = submit_case(model_name="Gone")
    case_services.withdraw_case(actor=submitter, case_id=gone.pk, reason="Cancelled.")
    client.force_login(coordinator)
    for query in [
        {},
        {"status": "open"},
        {"status": "all"},
        {"status": "withdrawn"},
        {"q": "zeph"},
        {"q": "zeph", "status": "all"},
        {"capability_jump": "false"},
        {"capability_jump": "true"},
    ]:
        response = client.get(QUEUE, query)
        assert response.context["total"] == len(numbers(response)), query


def test_the_unfiltered_queue_counts_its_open_cases_once(client, coordinator, submit_case):
    """The "open cases" figure is the list's total: no second COUNT(*) for the paginator."""
    submit_case(model_name="Aurora")
    client.force_login(coordinator)
    client.get(QUEUE)  # Warm the permission-id cache (the header's discussions count reads it).
    with CaptureQueriesContext(connection) as unfiltered:
        response = client.get(QUEUE)
    assert response.context["total"] == response.context["counts"]["open"] == 1
    counts = [q["sql"] for q in unfiltered.captured_queries if 'COUNT(*) AS "__count"' in q["sql"]]
    # The header's unread-discussions count reads the cases it may see; it is not the list's.
    counts = [sql for sql in counts if 'FROM "discussions_message"' not in sql]
    assert not [sql for sql in counts if "cases_submission" in sql]
    with CaptureQueriesContext(connection) as searched:
        assert client.get(QUEUE, {"q": "aur"}).context["total"] == 1
    assert len(searched.captured_queries) == len(unfiltered.captured_queries) + 1
