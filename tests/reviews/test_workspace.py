"""The case workspace: who reaches it, what it shows, and its fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import services as access_services
from portal.accounts.models import Organization
from portal.cases.models import Submission
from portal.core.hooks import CASE_SECTIONS, WORKSPACE
from portal.discussions.services import post_message, start_thread
from reviews.models import Assignment, Marking
from reviews.views.workspace import SECTIONS
from tests.conftest import SECTION_OWN_QUERIES, Role, baseline_queries, make_person
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import assign, invite, record


def workspace_url(case):
    return reverse("reviews:workspace", args=[case.pk])


# Sections other apps add (portal.core.hooks.case_panel with a section).
ADDED_SECTIONS = ("access",)


def section_url(section, case):
    if section in ADDED_SECTIONS:
        return reverse("reviews:case_section", args=[case.pk, section])
    return reverse(f"reviews:case_{section}", args=[case.pk])


# The overview keeps the workspace's URL; the other sections have their own.
SECTION_NAMES = (
    "reviewers",
    "findings",
    "requests",
    "scores",
    "artifacts",
    "recommendation",
    "discussion",
    *ADDED_SECTIONS,
    "timeline",
)
# A coordinator's forms whose choices are read from the database, over a section's
# own queries: the reviewers section's assign and route forms (the reviewers free to
# take the case, the agencies; their loads come from the cache), the access section's
# nomination form (the operators).
COORDINATOR_FORMS = {"reviewers": 2, "access": 1}
# The workspace's own sections, tighter than that common ceiling: their queries over
# the baseline for (a reviewer, a coordinator, the forms above included). The frame
# pays the case (its clock and, on the artifacts, the download grant with it), its
# assignments and its routings; the overview reads the clock's ledger for its box.
OWN_QUERIES = {
    "overview": (5, 7),
    "reviewers": (3, 5),
    "findings": (5, 5),
    "requests": (4, 4),
    "scores": (6, 5),
    "artifacts": (4, 4),
    "recommendation": (4, 4),
    "timeline": (5, 5),
}


def grant_to_new_operator(submitter, case, number):
    operator = Organization.objects.create(
        name=f"Operator {number}",
        slug=f"operator-{number}",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )
    return access_services.grant_access(actor=submitter, case_id=case.pk, operator=operator)


def all_section_urls(case) -> list[str]:
    return [workspace_url(case)] + [section_url(name, case) for name in SECTION_NAMES]


def test_the_routed_coordinators_and_accepted_reviewers_reach_it(
    client, lead_assignment, review_case, reviewer, coordinator, nsa_coordinator
):
    for person in (reviewer, coordinator, nsa_coordinator):
        client.force_login(person)
        for url in all_section_urls(review_case):
            assert client.get(url).status_code == 200, (person.username, url)


def test_everyone_else_gets_404(
    client,
    lead_assignment,
    review_case,
    coordinator,
    nsa_reviewer,
    submitter,
    operator,
    outsider,
    platform_admin,
    caisi,
):
    invited = make_person("invited", unit=caisi, role=Role.REVIEWER)
    invite(coordinator, review_case, invited)
    unassigned = make_person("unassigned", unit=caisi, role=Role.REVIEWER)
    for person in (
        invited,
        unassigned,
        nsa_reviewer,
        submitter,
        operator,
        outsider,
        platform_admin,
    ):
        client.force_login(person)
        for url in all_section_urls(review_case):
            assert client.get(url).status_code == 404, (person.username, url)
    client.force_login(coordinator)
    assert client.get(reverse("reviews:workspace", args=[999999])).status_code == 404
    for name in SECTION_NAMES:
        assert client.get(section_url(name, Submission(pk=999999))).status_code == 404
    # A section nobody added.
    nonsense = reverse("reviews:case_section", args=[review_case.pk, "nonsense"])
    assert client.get(nonsense).status_code == 404


def test_it_shows_the_case_the_clock_and_the_artifacts(
    client, lead_assignment, review_case, reviewer
):
    artifact = review_case.artifacts.get()
    client.force_login(reviewer)
    response = client.get(workspace_url(review_case))
    content = response.content.decode()
    clock = response.context["clock"]
    assert clock.due == review_case.review_due
    assert f"Review due {clock.due:%B} {clock.due.day}, {clock.due.year}" in content
    assert f"{clock.days_left} days left" in content
    assert f"Government days used: {clock.government_days}" in content
    assert f"calendar days: {clock.calendar_days}" in content
    assert "Northwind Labs" in content and "Aurora, version 2.0" in content
    response = client.get(section_url("artifacts", review_case))
    content = response.content.decode()
    assert artifact.sha256 in content
    download = reverse("portal:artifact_download", args=[review_case.pk, artifact.pk])
    assert download in content
    assert client.get(download).status_code == 200


def test_only_working_reviewers_get_artifact_links(
    client, lead_assignment, review_case, coordinator
):
    artifact = review_case.artifacts.get()
    client.force_login(coordinator)
    response = client.get(section_url("artifacts", review_case))
    assert artifact.sha256 in response.content.decode()
    download = reverse("portal:artifact_download", args=[review_case.pk, artifact.pk])
    assert download not in response.content.decode()
    assert not response.context["can_download"]


def test_the_timeline_comes_from_the_audit_log(client, lead_assignment, review_case, reviewer):
    client.force_login(reviewer)
    labels = [
        entry["label"]
        for entry in client.get(section_url("timeline", review_case)).context["timeline"]
    ]
    assert labels[:2] == ["Draft started", "Artifact uploaded: model_card.md"]
    assert "Submitted for review" in labels and "Reviewer accepted" in labels
    assert "Review started" in labels


# Query budget: the same number of queries, whatever the case holds.


def count_queries(client, url) -> int:
    client.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("section", ("overview", *SECTION_NAMES))
def test_each_section_makes_a_fixed_number_of_queries(
    client,
    django_assert_num_queries,
    lead_assignment,
    review_case,
    reviewer,
    coordinator,
    submitter,
    caisi,
    section,
):
    url = workspace_url(review_case) if section == "overview" else section_url(section, review_case)
    grant_to_new_operator(submitter, review_case, 0)
    for number in range(2):
        record(reviewer, review_case, title=f"Finding {number}", marking=Marking.INTERAGENCY)
    thread = start_thread(
        actor=reviewer,
        case_id=review_case.pk,
        subject="Notes",
        marking="agency_only",
        body="First note",
    )
    client.force_login(reviewer)
    count_queries(client, url)  # Warm the content-type cache.
    small_reviewer = count_queries(client, url)
    # The section's own queries, over the signed-in baseline (SECTION_OWN_QUERIES).
    reviewer_budget, coordinator_budget = OWN_QUERIES.get(
        section, (SECTION_OWN_QUERIES, SECTION_OWN_QUERIES + COORDINATOR_FORMS.get(section, 0))
    )
    assert small_reviewer - baseline_queries(client) <= reviewer_budget, small_reviewer
    client.force_login(coordinator)
    count_queries(client, url)  # the reviewers' loads are counted once, then cached
    small_coordinator = count_queries(client, url)
    own = small_coordinator - baseline_queries(client)
    assert own <= coordinator_budget, small_coordinator

    for number in range(9):
        person = make_person(f"extra-reviewer-{number}", unit=caisi, role=Role.REVIEWER)
        assign(coordinator, review_case, person, role=Assignment.Role.REVIEWER)
    for number in range(2, 30):
        record(
            reviewer,
            review_case,
            title=f"Finding {number}",
            severity=1 + number % 4,
            marking=Marking.values[number % 4],
        )
    for number in range(1, 6):
        grant_to_new_operator(submitter, review_case, number)
    for number in range(5):
        post_message(actor=coordinator, thread_id=thread.pk, body=f"Note {number}")
        start_thread(
            actor=coordinator,
            case_id=review_case.pk,
            subject=f"Thread {number}",
            marking="interagency",
            body=f"Thread {number}",
        )
    client.force_login(reviewer)
    response = client.get(url)
    if section == "findings":
        assert len(response.context["findings"]) == 30
    client.get(url)  # the header's badges are counted once, then cached
    with django_assert_num_queries(small_reviewer):
        assert client.get(url).status_code == 200
    client.force_login(coordinator)
    client.get(url)  # the header's badges are counted once, then cached
    with django_assert_num_queries(small_coordinator):
        assert client.get(url).status_code == 200


def test_a_section_builds_only_its_own_context(client, lead_assignment, review_case, reviewer):
    client.force_login(reviewer)
    timeline = client.get(section_url("timeline", review_case)).context
    assert "findings" not in timeline and "artifacts" not in timeline
    overview = client.get(workspace_url(review_case)).context
    assert "findings" not in overview and "timeline" not in overview


def test_the_side_navigation_marks_the_current_section(
    client, lead_assignment, review_case, reviewer
):
    client.force_login(reviewer)
    for url in all_section_urls(review_case):
        content = client.get(url).content.decode()
        assert 'class="usa-sidenav"' in content
        assert content.count('aria-current="page"') == 1
        assert f'href="{url}" class="usa-current" aria-current="page"' in content
        # The compact header is on every section.
        assert "FMR-" in content and "Aurora, version 2.0" in content and "days left" in content


def test_the_access_section_holds_the_grants_and_the_overview_does_not(
    client, lead_assignment, review_case, coordinator, submitter
):
    grant = grant_to_new_operator(submitter, review_case, 0)
    client.force_login(coordinator)
    overview = client.get(workspace_url(review_case))
    assert overview.context["panels"] == []
    assert "Operator 0" not in overview.content.decode()
    access = client.get(section_url("access", review_case))
    html = access.content.decode()
    assert grant.operator.name in html
    assert f'href="{section_url("access", review_case)}" class="usa-current"' in html
    # The coordinator's nomination returns to this section of the workspace.
    nominated = client.post(
        reverse("access:grant_nominate", args=[review_case.pk]), {"operator": ""}
    )
    assert nominated.status_code == 302
    assert nominated["Location"] == section_url("access", review_case)


def test_no_added_section_hides_behind_a_fixed_one():
    """The workspace's fixed URLs are matched first: a section added to it must differ."""
    fixed = {key for key, _label, _url_name in SECTIONS}
    added = {key for key, added in CASE_SECTIONS.items() if WORKSPACE in added.pages}
    assert added == set(ADDED_SECTIONS) and not fixed & added
