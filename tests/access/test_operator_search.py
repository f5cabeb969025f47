"""An operator's search: the models granted to their organization, and nothing else.

Operators see no case pages, so the search page lists their organization's
grants whose case matches (number, model, developer), each linking to the
grant's page; another operator's grants, revoked ones, cases without a grant
and findings never show. Nobody else gets the section.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import services as access_services
from access.models import AccessGrant
from access.selectors import search_grants
from tests.access.conftest import *  # noqa: F403  (its fixtures)

SEARCH = reverse("reviews:search")


def grant_numbers(response) -> list[str]:
    """The cases of the granted models listed, from the operator's section."""
    sections = dict(response.context["sections"])
    section = sections.get("access/search_section.html")
    return [grant.case.reference for grant in section["grants"]] if section else []


def test_an_operator_finds_their_granted_models_by_number_model_and_developer(
    client, operator, grant, granted_case
):
    client.force_login(operator)
    for query in (granted_case.number, granted_case.number[-4:], "aurora", "Northwind"):
        response = client.get(SEARCH, {"q": query})
        assert grant_numbers(response) == [granted_case.reference], query

    html = response.content.decode()
    assert reverse("access:grant_detail", args=[grant.pk]) in html
    assert "1 granted model match" in html
    # Operators have no case pages: no cases section, no findings section.
    assert "case-results-heading" not in html and "finding-results-heading" not in html
    assert reverse("portal:case_detail", args=[granted_case.pk]) not in html


def test_an_operator_never_finds_another_organizations_grant_or_an_ungranted_case(
    client, operator, operator2, grant, granted_case, make_ready_draft, move_case
):
    ungranted = make_ready_draft(model_name="Aurora Twin")
    move_case(ungranted, "submit")
    client.force_login(operator2)
    assert grant_numbers(client.get(SEARCH, {"q": "aurora"})) == []
    assert granted_case.number not in client.get(SEARCH, {"q": "aurora"}).content.decode()

    client.force_login(operator)
    assert grant_numbers(client.get(SEARCH, {"q": "twin"})) == []
    assert list(search_grants(operator, "aurora")) == [grant]


def test_a_revoked_grant_is_no_longer_found(client, operator, submitter, grant):
    access_services.revoke_access(actor=submitter, grant_id=grant.pk, reason="Pulled.")
    client.force_login(operator)
    response = client.get(SEARCH, {"q": "aurora"})
    assert grant_numbers(response) == []
    assert "0 granted models match" in response.content.decode()


def test_only_operators_get_the_granted_models_section(
    client, coordinator, submitter, grant, granted_case
):
    for person in (coordinator, submitter):
        client.force_login(person)
        response = client.get(SEARCH, {"q": "aurora"})
        assert response.context["sections"] == []
        assert [case["number"] for case in response.context["cases"]] == [granted_case.number]


def test_an_empty_query_finds_nothing_and_asks_nothing(client, operator, grant):
    client.force_login(operator)
    response = client.get(SEARCH)
    assert response.context["sections"] == []
    assert list(search_grants(operator, "   ")) == []


def test_the_operators_search_costs_the_same_for_one_grant_or_many(
    client, operator, submitter, bank, grant, make_ready_draft, move_case
):
    client.force_login(operator)

    def queries() -> int:
        client.get(SEARCH, {"q": "aurora"})  # the header's badges are counted once, then cached
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SEARCH, {"q": "aurora"}).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(2):
        case = make_ready_draft(model_name="Aurora Mini")
        move_case(case, "submit")
        access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)
    assert AccessGrant.objects.count() == 3
    assert queries() == one
    assert len(grant_numbers(client.get(SEARCH, {"q": "aurora"}))) == 3
