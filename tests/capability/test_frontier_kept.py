"""Each person's frontier is kept in the cache (``portal.capability.kept``), yet every write
that changes it shows at once: on the overview, a benchmark's page and the API alike."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.models import AccessToken
from portal.capability import kept
from portal.cases.services import lifecycle as case_services
from portal.cases.services.corrections import correct_score
from tests.capability.conftest import reported

FRONTIER = reverse("portal:frontier")
API = reverse("api_frontier")


def chart_url(benchmark):
    return reverse("portal:frontier_benchmark", args=[benchmark.slug])


class Views:
    """What one person sees on the three: the pages' HTML and the API's JSON."""

    def __init__(self, client, person, benchmark):
        _, raw = AccessToken.create_for(person, name="script")
        self.client, self.person, self.benchmark = client, person, benchmark
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def overview(self) -> str:
        self.client.force_login(self.person)
        return self.client.get(FRONTIER).content.decode()

    def chart(self) -> str:
        self.client.force_login(self.person)
        return self.client.get(chart_url(self.benchmark)).content.decode()

    def api(self) -> dict:
        return self.client.get(API, **self.auth).json()

    def seen(self) -> tuple[str, str, dict]:
        return self.overview(), self.chart(), self.api()


@pytest.fixture
def views(client, coordinator, ctf):
    return Views(client, coordinator, ctf)


def test_a_repeated_view_is_read_from_the_cache(views, ctf, submit_scores):
    submit_scores({ctf: 40})
    views.seen()  # computed and kept
    for view in (views.overview, views.chart, views.api):
        with CaptureQueriesContext(connection) as captured:
            view()
        sql = " ".join(query["sql"] for query in captured.captured_queries)
        assert "cases_evalresult" not in sql  # nothing counted, sorted or drawn again


def test_a_new_score_shows_at_once_everywhere(views, ctf, submit_scores, other_submitter):
    first = submit_scores({ctf: 40})
    overview, chart, api = views.seen()
    assert "1 result ·" in overview and first.number in chart and api["count"] == 1

    second = submit_scores({ctf: 52}, actor=other_submitter)  # a jump
    overview, chart, api = views.seen()
    assert "2 results" in overview and "1 jump" in overview and "frontier 52" in overview
    assert second.number in chart and first.number in chart
    assert api["count"] == 2
    assert [row["case"] for row in api["results"]] == [first.number, second.number]


def test_a_corrected_score_shows_at_once_everywhere(views, ctf, submit_scores, other_submitter):
    submit_scores({ctf: 40})
    jump = submit_scores({ctf: 52}, actor=other_submitter)
    overview, _chart, api = views.seen()
    assert "frontier 52" in overview and api["results"][1]["jump"] is True

    correct_score(
        actor=other_submitter,
        case_id=jump.pk,
        result_id=reported(jump, ctf).pk,
        score=Decimal(41),
        reason="Typo.",
    )
    overview, chart, api = views.seen()
    assert "frontier 41" in overview and "1 retracted" in overview
    assert "Jump retracted" in chart
    assert (api["results"][1]["score"], api["results"][1]["retracted"]) == ("41", True)


def test_a_withdrawn_score_stops_counting_at_once_everywhere(views, ctf, submit_scores, submitter):
    submit_scores({ctf: 40})
    withdrawn = submit_scores({ctf: 44})
    overview, chart, api = views.seen()
    assert "frontier 44" in overview and "Withdrawn, not counted" not in chart
    assert api["results"][1]["counts_toward_frontier"] is True

    case_services.withdraw_case(actor=submitter, case_id=withdrawn.pk, reason="Not ready.")
    overview, chart, api = views.seen()
    assert "frontier 40" in overview
    assert "Withdrawn, not counted" in chart
    assert (api["results"][1]["case_status"], api["results"][1]["counts_toward_frontier"]) == (
        "withdrawn",
        False,
    )


def test_a_routing_shows_at_once_everywhere(
    client, ctf, submit_scores, coordinator, nsa, nsa_coordinator
):
    case = submit_scores({ctf: 40})  # routed to CAISI only
    views = Views(client, nsa_coordinator, ctf)
    overview, chart, api = views.seen()
    assert "0 results" in overview and case.number not in chart and api["count"] == 0

    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    overview, chart, api = views.seen()
    assert "1 result ·" in overview and case.number in chart
    assert [row["case"] for row in api["results"]] == [case.number]


def test_an_assignment_shows_at_once_everywhere(client, ctf, submit_scores, reviewer, accept_lead):
    case = submit_scores({ctf: 40})
    views = Views(client, reviewer, ctf)
    overview, chart, api = views.seen()
    assert "0 results" in overview and case.number not in chart and api["count"] == 0

    accept_lead(case, reviewer)
    overview, chart, api = views.seen()
    assert "1 result ·" in overview and case.number in chart and api["count"] == 1


def test_each_person_is_kept_apart(client, ctf, submit_scores, coordinator, nsa_coordinator):
    case = submit_scores({ctf: 40})
    assert case.number in Views(client, coordinator, ctf).chart()
    assert case.number not in Views(client, nsa_coordinator, ctf).chart()
    assert Views(client, nsa_coordinator, ctf).api()["count"] == 0


def test_a_write_forgets_again_when_it_commits(
    django_capture_on_commit_callbacks, views, ctf, submit_scores
):
    submit_scores({ctf: 40})
    views.seen()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        kept.forget_on_commit()
        during = kept.cache.get(kept.GENERATION)
    assert len(callbacks) == 1
    callbacks[0]()
    assert kept.cache.get(kept.GENERATION) != during


def test_an_evicted_generation_starts_a_new_one(views, ctf, submit_scores):
    first = submit_scores({ctf: 40})
    views.seen()
    kept.cache.delete(kept.GENERATION)
    assert first.number in views.chart()
    assert kept.cache.get(kept.GENERATION) is not None


def test_a_new_developer_is_offered_in_the_filter_at_once(
    views, ctf, submit_scores, other_submitter
):
    offered = re.compile(r'<option value="\d+"[^>]*>Meridian ML</option>')
    submit_scores({ctf: 40})
    assert not offered.search(views.overview())
    assert not offered.search(views.chart())

    submit_scores({ctf: 41}, actor=other_submitter)
    assert offered.search(views.overview())
    assert offered.search(views.chart())
