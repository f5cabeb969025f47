"""GET /api/v1/frontier/: agency staff's frontier as JSON, scoped like the pages, paged."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.models import AccessToken
from portal.cases.services.corrections import correct_score
from tests.capability.conftest import reported

URL = reverse("api_frontier")


def bearer(person):
    _, raw = AccessToken.create_for(person, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def history(ctf, submit_scores, other_submitter):
    ctf.min_score, ctf.max_score = Decimal(0), Decimal(100)
    ctf.save()
    first = submit_scores({ctf: 40}, model_name="Aurora")
    jump = submit_scores({ctf: 46}, actor=other_submitter, model_name="Tessellate")
    return first, jump


def test_agency_staff_get_every_result_they_may_see(client, history, ctf, coordinator):
    first, jump = history
    response = client.get(URL, **bearer(coordinator))
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["pages"], body["next"]) == (2, 1, 1, None)
    row = body["results"][1]
    assert row["case"] == jump.number
    assert row["model"] == {"name": "Tessellate", "version": jump.model_version}
    assert row["developer"] == "Meridian ML"
    assert row["benchmark"] == {
        "slug": "cyber-ctf",
        "name": "Cyber Ctf",
        "unit": "% solved",
        "direction": "higher_is_better",
        "range": {"min": "0", "max": "100"},
    }
    assert (row["score"], row["source"], row["frontier_before"]) == ("46", "developer", "40")
    assert row["date"] == jump.submitted_at.isoformat()
    assert (row["jump"], row["jump_rules"], row["retracted"]) == (True, ["threshold"], False)
    assert row["trend_status"] == "not_enough_history"
    assert row["months_ahead_of_trend"] is None
    assert body["results"][0]["jump"] is False


def test_a_corrected_jump_reads_retracted(client, history, ctf, coordinator, other_submitter):
    _first, jump = history
    correct_score(
        actor=other_submitter,
        case_id=jump.pk,
        result_id=reported(jump, ctf).pk,
        score=Decimal(41),
        reason="Typo.",
    )
    row = client.get(URL, **bearer(coordinator)).json()["results"][1]
    assert (row["score"], row["jump"], row["jump_rules"], row["retracted"]) == (
        "41",
        False,
        [],
        True,
    )


def test_scoped_by_the_frontier_pages_selector(client, history, nsa_coordinator, reviewer):
    # NSA is on none of the cases; the CAISI reviewer is assigned to none.
    for person in (nsa_coordinator, reviewer):
        body = client.get(URL, **bearer(person)).json()
        assert (body["count"], body["results"]) == (0, [])


@pytest.mark.parametrize("persona", ["submitter", "operator", "outsider", "admin"])
def test_other_roles_get_403_with_no_data(client, history, personas, persona):
    response = client.get(URL, **bearer(personas[persona]))
    assert response.status_code == 403
    assert set(response.json()) == {"error"}


def test_no_token_401_and_a_session_is_not_enough(client, history, coordinator):
    assert client.get(URL).status_code == 401
    client.force_login(coordinator)
    assert client.get(URL).status_code == 401


def test_paging_and_bad_parameters(client, history, coordinator):
    headers = bearer(coordinator)
    body = client.get(URL, {"page_size": 1, "page": 2}, **headers).json()
    assert (body["count"], body["pages"], body["next"]) == (2, 2, None)
    assert body["previous"].endswith("page_size=1&page=1")
    assert body["results"][0]["score"] == "46"
    for params in ({"page_size": 0}, {"page_size": 501}, {"page_size": "x"}, {"page": "x"}):
        response = client.get(URL, params, **headers)
        assert response.status_code == 400, params
    assert client.get(URL, {"page": 9}, **headers).status_code == 404
    assert client.get(URL, {"benchmark": "nope"}, **headers).json()["count"] == 0


def test_a_fixed_number_of_queries(client, ctf, submit_scores, other_submitter, coordinator):
    headers = bearer(coordinator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, **headers).status_code == 200
        return len(queries)

    submit_scores({ctf: 40})
    few = count()
    for score in (41, 52, 53, 54, 70):
        submit_scores({ctf: score}, actor=other_submitter)
    assert count() == few


def test_pages_follow_one_another_in_the_selectors_order(
    client, ctf, submit_scores, other_submitter, coordinator, reviewer, accept_lead
):
    from tests.capability.conftest import make_benchmark

    bio = make_benchmark("bio-qa", category="cbrn")
    cases = [
        submit_scores({ctf: 40 + i, bio: 10 + i}, actor=other_submitter if i % 2 else None)
        for i in range(5)
    ]
    headers = bearer(coordinator)
    seen = []
    for page in (1, 2, 3, 4):
        body = client.get(URL, {"page_size": 3, "page": page}, **headers).json()
        seen += [(row["benchmark"]["slug"], row["case"]) for row in body["results"]]
    # Benchmarks by category and name (bio-qa is CBRN, before cyber offense), oldest first.
    assert seen == [("bio-qa", c.number) for c in cases] + [("cyber-ctf", c.number) for c in cases]
    # A reviewer's pages hold only the cases assigned to them, whatever the ids asked for.
    accept_lead(cases[3], reviewer)
    body = client.get(URL, **bearer(reviewer)).json()
    assert {row["case"] for row in body["results"]} == {cases[3].number}
