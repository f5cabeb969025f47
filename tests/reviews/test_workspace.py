"""The case workspace: who reaches it, what it shows, and its fixed number of queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Assignment, Marking
from tests.conftest import Role, make_person
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import assign, invite, record


def workspace_url(case):
    return reverse("reviews:workspace", args=[case.pk])


def test_the_routed_coordinators_and_accepted_reviewers_reach_it(
    client, lead_assignment, review_case, reviewer, coordinator, nsa_coordinator
):
    for person in (reviewer, coordinator, nsa_coordinator):
        client.force_login(person)
        assert client.get(workspace_url(review_case)).status_code == 200, person.username


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
    for person in (invited, unassigned, nsa_reviewer, submitter, operator, outsider):
        client.force_login(person)
        assert client.get(workspace_url(review_case)).status_code == 404, person.username
    client.force_login(platform_admin)
    assert client.get(workspace_url(review_case)).status_code == 404
    client.force_login(coordinator)
    assert client.get(reverse("reviews:workspace", args=[999999])).status_code == 404


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
    assert artifact.sha256 in content
    download = reverse("portal:artifact_download", args=[review_case.pk, artifact.pk])
    assert download in content
    assert client.get(download).status_code == 200
    assert "Northwind Labs" in content and "Aurora, version 2.0" in content


def test_only_working_reviewers_get_artifact_links(
    client, lead_assignment, review_case, coordinator
):
    artifact = review_case.artifacts.get()
    client.force_login(coordinator)
    response = client.get(workspace_url(review_case))
    assert artifact.sha256 in response.content.decode()
    download = reverse("portal:artifact_download", args=[review_case.pk, artifact.pk])
    assert download not in response.content.decode()
    assert not response.context["can_download"]


def test_the_timeline_comes_from_the_audit_log(client, lead_assignment, review_case, reviewer):
    client.force_login(reviewer)
    labels = [
        entry["label"] for entry in client.get(workspace_url(review_case)).context["timeline"]
    ]
    assert labels[:2] == ["Draft started", "Artifact uploaded: model_card.md"]
    assert "Submitted for review" in labels and "Reviewer accepted" in labels
    assert "Review started" in labels


# Query budget: the same number of queries, whatever the case holds.


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_workspace_makes_a_fixed_number_of_queries(
    client, lead_assignment, review_case, reviewer, coordinator, caisi
):
    for number in range(2):
        record(reviewer, review_case, title=f"Finding {number}", marking=Marking.INTERAGENCY)
    client.force_login(reviewer)
    count_queries(client, workspace_url(review_case))  # Warm the content-type cache.
    small_reviewer = count_queries(client, workspace_url(review_case))
    client.force_login(coordinator)
    small_coordinator = count_queries(client, workspace_url(review_case))

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
    client.force_login(reviewer)
    response = client.get(workspace_url(review_case))
    assert len(response.context["findings"]) == 30
    assert count_queries(client, workspace_url(review_case)) <= small_reviewer
    client.force_login(coordinator)
    assert count_queries(client, workspace_url(review_case)) <= small_coordinator
