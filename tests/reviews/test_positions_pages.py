"""Where each agency stands, as the pages show it: the positions panel, the case header's
line, the developer's panel (the marking matrix of positions), and constant query counts.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.models import Agency
from portal.cases.services import lifecycle as case_services
from reviews.models import Assignment
from reviews.services import positions as position_services
from tests.conftest import Role, make_person
from tests.reviews.fixtures_positions import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_positions import (
    CONDITIONS,
    DISSENT,
    FOR_OPERATORS,
    SUMMARY,
    issue,
    recommendation_url,
    record,
    set_deadline,
)
from tests.reviews.fixtures_requests import accept, case_url, review_panel, workspace_url


def states_of(response) -> dict[str, str]:
    return {state.agency.acronym: state.state for state in response.context["agency_states"]}


# --- the positions panel and the header ----------------------------------------------------


def test_each_agency_s_state_with_its_dates(
    client, drafted_joint_case, coordinator, nsa_coordinator, nsa_reviewer, frozen
):
    client.force_login(coordinator)
    page = client.get(workspace_url(drafted_joint_case))
    assert states_of(page) == {"CAISI": "reviewing", "NSA": "routed"}
    assert "<strong>CAISI</strong> (lead): reviewing since" in page.content.decode()

    accept(nsa_coordinator, nsa_reviewer, drafted_joint_case)
    assert states_of(client.get(workspace_url(drafted_joint_case))) == {
        "CAISI": "reviewing",
        "NSA": "reviewing",
    }

    set_deadline(coordinator, drafted_joint_case, days=2)
    frozen.advance(days=3)
    client.force_login(coordinator)  # a new session: the old one expired meanwhile
    page = client.get(workspace_url(drafted_joint_case))
    assert states_of(page) == {"CAISI": "reviewing", "NSA": "no_response"}
    assert "No response (deadline" in page.content.decode()

    record(nsa_coordinator, drafted_joint_case)  # late, but before issue: welcome
    page = client.get(workspace_url(drafted_joint_case))
    assert states_of(page) == {"CAISI": "reviewing", "NSA": "position"}
    content = page.content.decode()
    assert "Concur with conditions" in content
    assert "<strong>NSA</strong>: concur with conditions," in content

    issue(coordinator, drafted_joint_case)
    page = client.get(reverse("reviews:case_timeline", args=[drafted_joint_case.pk]))
    assert states_of(page) == {"CAISI": "issued", "NSA": "position"}
    assert "(lead): recommendation issued" in page.content.decode()


def test_the_panel_shows_on_the_overview_for_every_agency_on_the_case(
    client, drafted_joint_case, nsa_coordinator, lead
):
    for person in (nsa_coordinator, lead):
        client.force_login(person)
        content = client.get(workspace_url(drafted_joint_case)).content.decode()
        assert 'id="positions-heading">Agencies and positions' in content
        assert "CAISI (lead)" in content.replace("Center for AI Standards and Innovation", "CAISI")


def test_the_participants_read_every_marking(client, drafted_joint_case, nsa_coordinator, lead):
    record(nsa_coordinator, drafted_joint_case, stance="dissent", text=DISSENT)
    client.force_login(lead)

    content = client.get(recommendation_url(drafted_joint_case)).content.decode()

    assert DISSENT in content
    assert "Interagency" in content


# --- the developer: the marking matrix of positions ----------------------------------------


@pytest.mark.parametrize(
    ("marking", "developer_reads"), [("interagency", False), ("developer", True)]
)
def test_the_developer_reads_only_positions_shared_with_it(
    client, drafted_joint_case, coordinator, nsa_coordinator, submitter, marking, developer_reads
):
    record(nsa_coordinator, drafted_joint_case, text=CONDITIONS, marking=marking)
    client.force_login(submitter)

    before_issue = client.get(case_url(drafted_joint_case))
    assert review_panel(before_issue)["positions"] == []
    assert CONDITIONS not in before_issue.content.decode()

    issue(coordinator, drafted_joint_case)
    response = client.get(case_url(drafted_joint_case))
    content = response.content.decode()
    assert SUMMARY in content
    assert (CONDITIONS in content) is developer_reads
    assert bool(review_panel(response)["positions"]) is developer_reads
    # Named by agency, never by person (the panel's recommendation and positions).
    panel = content[content.index('id="dev-recommendation-heading"') :]
    panel = panel[: panel.index("</section>")]
    assert "by CAISI, the lead agency" in panel
    for person in (coordinator, nsa_coordinator):
        assert person.username not in panel
        assert person.display_name() not in panel
    # The operators' part is for operators, not on the developer's panel.
    assert FOR_OPERATORS not in content


def test_an_interagency_amendment_stays_hidden_from_the_developer(
    client, drafted_joint_case, coordinator, nsa_coordinator, submitter
):
    record(nsa_coordinator, drafted_joint_case)
    issue(coordinator, drafted_joint_case)
    position_services.amend_position(
        actor=nsa_coordinator,
        case_id=drafted_joint_case.pk,
        stance="dissent",
        text=DISSENT,
        marking="interagency",
        reason="Secret reason.",
    )
    client.force_login(submitter)

    content = client.get(case_url(drafted_joint_case)).content.decode()

    assert DISSENT not in content
    assert "Secret reason." not in content


def test_operators_never_see_positions(client, drafted_joint_case, coordinator, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case, marking="developer")
    issue(coordinator, drafted_joint_case)
    from reviews.models import AgencyPosition
    from reviews.selectors import developer_positions

    assert list(developer_positions(drafted_joint_case)) == list(AgencyPosition.objects.all())
    operator = make_person("bank-operator", role=Role.SECURITY_TEAM)
    client.force_login(operator)
    assert client.get(case_url(drafted_joint_case)).status_code == 404
    assert client.get(recommendation_url(drafted_joint_case)).status_code == 404


# --- constant queries ----------------------------------------------------------------------


def count_queries(client, url) -> int:
    client.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def more_agencies(case, coordinator, count: int):
    """``count`` more agencies on the case, each with a reviewer and an amended position."""
    for number in range(count):
        agency = Agency.objects.create(name=f"Agency {number}", acronym=f"AG{number}")
        agency_coordinator = make_person(
            f"ag{number}-coordinator", unit=agency, role=Role.COORDINATOR
        )
        agency_reviewer = make_person(f"ag{number}-reviewer", unit=agency, role=Role.REVIEWER)
        case_services.route_case(actor=coordinator, case_id=case.pk, agency=agency)
        accept(agency_coordinator, agency_reviewer, case, role=Assignment.Role.REVIEWER)
        record(agency_coordinator, case, stance="dissent", text=f"Dissent {number}")


@pytest.mark.parametrize("section", ["overview", "recommendation", "findings"])
def test_the_positions_cost_a_fixed_number_of_queries(
    client, drafted_joint_case, coordinator, nsa_coordinator, section
):
    url = (
        workspace_url(drafted_joint_case)
        if section == "overview"
        else reverse(f"reviews:case_{section}", args=[drafted_joint_case.pk])
    )
    record(nsa_coordinator, drafted_joint_case)
    counts = {}
    for person in (coordinator, nsa_coordinator):
        client.force_login(person)
        count_queries(client, url)  # Warm the content-type cache.
        counts[person.pk] = count_queries(client, url)

    more_agencies(drafted_joint_case, coordinator, 4)

    for person in (coordinator, nsa_coordinator):
        client.force_login(person)
        response = client.get(url)
        assert len(response.context["agency_states"]) == 6
        assert count_queries(client, url) == counts[person.pk], person


# --- the marking matrix of positions --------------------------------------------------------

# Who reads a position's text, by its marking, once the recommendation is issued.
READERS = {
    "interagency": {"coordinator", "lead", "nsa_coordinator", "nsa_reviewer"},
    "developer": {
        "coordinator",
        "lead",
        "nsa_coordinator",
        "nsa_reviewer",
        "submitter",
        "org_admin",
    },
}
PERSONAS = [
    "coordinator",
    "lead",
    "nsa_coordinator",
    "nsa_reviewer",
    "submitter",
    "org_admin",
    "operator",
    "outsider",
]


@pytest.mark.parametrize("marking", ["interagency", "developer"])
def test_the_marking_matrix_of_positions(
    client, request, drafted_joint_case, coordinator, nsa_coordinator, nsa_reviewer, bank, marking
):
    from access import services as access_services
    from access.models import AccessGrant

    accept(nsa_coordinator, nsa_reviewer, drafted_joint_case)
    record(nsa_coordinator, drafted_joint_case, stance="dissent", text=DISSENT, marking=marking)
    issue(coordinator, drafted_joint_case)
    grant = access_services.grant_access(
        actor=request.getfixturevalue("submitter"), case_id=drafted_joint_case.pk, operator=bank
    )
    assert grant.status == AccessGrant.Status.ACTIVE
    pages = [
        case_url(drafted_joint_case),
        recommendation_url(drafted_joint_case),
        workspace_url(drafted_joint_case),
        reverse("access:grant_detail", args=[grant.pk]),
        reverse("reviews:case_timeline", args=[drafted_joint_case.pk]),
        reverse("portal:notification_list"),
    ]
    for persona in PERSONAS:
        client.force_login(request.getfixturevalue(persona))
        seen = [url for url in pages if DISSENT in client.get(url).content.decode()]
        assert bool(seen) is (persona in READERS[marking]), (persona, seen)


def test_a_position_on_an_earlier_draft_is_flagged(
    client, drafted_joint_case, coordinator, nsa_coordinator, lead, frozen
):
    from tests.reviews.fixtures_positions import draft

    record(nsa_coordinator, drafted_joint_case)
    client.force_login(coordinator)
    assert (
        "On an earlier draft"
        not in client.get(recommendation_url(drafted_joint_case)).content.decode()
    )

    frozen.advance(minutes=5)
    draft(lead, drafted_joint_case, summary="A changed draft.")
    client.force_login(coordinator)

    assert (
        "On an earlier draft" in client.get(recommendation_url(drafted_joint_case)).content.decode()
    )
