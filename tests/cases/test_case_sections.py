"""The developer's case page in sections: header, side navigation, forms and redirects.

Each section is its own page (portal.cases.views.sections.SECTIONS) under the
same compact case header; each POST comes back to the section its form is on;
each section's SQL does not grow with the case's artifacts, scores or events.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from portal.accounts.models import Organization
from portal.cases.models import Benchmark, EvalResult
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.cases.views.sections import SECTIONS
from portal.core.hooks import CASE_PAGE, CASE_SECTIONS, case_sections
from portal.discussions.services import start_thread
from reviews.models import Assignment, Marking
from reviews.services import requests as request_services
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import add_artifact, make_draft, messages_of
from tests.conftest import SECTION_OWN_QUERIES, baseline_queries
from tests.reviews.fixtures_reviewer import assign, record

SECTION_URL_NAMES = [url_name for _key, _label, url_name in SECTIONS]
CURRENT = re.compile(r'<a href="([^"]+)" class="usa-current" aria-current="page">([^<]+)</a>')


@pytest.mark.parametrize(("key", "label", "url_name"), SECTIONS)
def test_each_section_marks_itself_in_the_side_navigation(
    client, submitter, submitted_case, key, label, url_name
):
    client.force_login(submitter)
    url = reverse(url_name, args=[submitted_case.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert CURRENT.findall(html) == [(url, label)]
    for other in SECTION_URL_NAMES:
        assert f'href="{reverse(other, args=[submitted_case.pk])}"' in html
    assert f"<title>{label} · {submitted_case.reference}" in html
    assert html.count("<h1") == 1 and f"{submitted_case.reference}: Aurora 2.0" in html


def test_the_upload_script_loads_only_where_the_upload_form_is(client, submitter, draft):
    client.force_login(submitter)
    for url_name in SECTION_URL_NAMES:
        html = client.get(reverse(url_name, args=[draft.pk])).content.decode()
        has_form = 'enctype="multipart/form-data"' in html
        assert ("portal/upload.js" in html) == has_form, url_name
        assert has_form == (url_name == "portal:case_artifacts"), url_name


def test_section_get_urls_and_post_urls_do_not_collide(client, submitter, draft):
    """``scores/`` is the section; ``scores`` (no slash) stays the POST that saves a score."""
    client.force_login(submitter)
    assert client.get(reverse("portal:case_scores", args=[draft.pk])).status_code == 200
    assert client.post(reverse("portal:case_scores", args=[draft.pk])).status_code == 405
    assert client.get(reverse("portal:eval_result_set", args=[draft.pk])).status_code == 405
    assert reverse("portal:case_scores", args=[draft.pk]) != reverse(
        "portal:eval_result_set", args=[draft.pk]
    )


# Every POST comes back to the section its form is on, done or refused.


def test_artifact_posts_come_back_to_artifacts(client, submitter, draft):
    client.force_login(submitter)
    artifacts = reverse("portal:case_artifacts", args=[draft.pk])
    refused = client.post(reverse("portal:artifact_upload", args=[draft.pk]), {"kind": "weights"})
    assert refused.status_code == 302 and refused["Location"] == artifacts
    assert messages_of(refused)

    artifact = add_artifact(draft, submitter, b"card")
    removed = client.post(reverse("portal:artifact_delete", args=[draft.pk, artifact.pk]))
    assert removed["Location"] == artifacts
    assert messages_of(removed) == ["Artifact removed from the draft."]
    assert not draft.artifacts.exists()


def test_score_posts_come_back_to_scores(client, submitter, draft, benchmark):
    client.force_login(submitter)
    scores = reverse("portal:case_scores", args=[draft.pk])
    url = reverse("portal:eval_result_set", args=[draft.pk])

    bad = client.post(url, {"benchmark": benchmark.pk, "score": "lots"})
    assert bad["Location"] == scores and messages_of(bad) == ["Score: Enter a number."]
    saved = client.post(url, {"benchmark": benchmark.pk, "score": "42.5"})
    assert saved["Location"] == scores
    result = EvalResult.objects.get()

    removed = client.post(reverse("portal:eval_result_remove", args=[draft.pk, result.pk]))
    assert removed["Location"] == scores and messages_of(removed) == ["Score removed."]
    page = client.get(scores).content.decode()
    assert "No scores reported yet." in page


def test_case_actions_come_back_to_the_overview(client, submitter, coordinator, submitted_case):
    client.force_login(submitter)
    overview = reverse("portal:case_detail", args=[submitted_case.pk])
    not_understood = client.post(
        reverse("portal:case_withdraw", args=[submitted_case.pk]), {"reason": "Cancelled."}
    )
    assert not_understood["Location"] == overview
    too_early = client.post(
        reverse("portal:case_mark_released", args=[submitted_case.pk]), {"understood": "on"}
    )
    assert too_early["Location"] == overview
    withdrawn = client.post(
        reverse("portal:case_withdraw", args=[submitted_case.pk]),
        {"reason": "Cancelled.", "understood": "on"},
    )
    assert withdrawn["Location"] == overview and messages_of(withdrawn) == ["Case withdrawn."]


def test_submitting_comes_back_to_the_overview(client, submitter, coordinator, draft):
    add_artifact(draft, submitter, b"card")
    client.force_login(submitter)
    response = client.post(reverse("portal:case_submit", args=[draft.pk]), {"reason": ""})
    assert response["Location"] == reverse("portal:case_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.number


# Who reads the sections.


def test_agency_staff_read_the_sections_without_the_developers_forms(
    client, coordinator, submitted_case
):
    client.force_login(coordinator)
    workspace = reverse("reviews:workspace", args=[submitted_case.pk])
    for url_name in SECTION_URL_NAMES:
        response = client.get(reverse(url_name, args=[submitted_case.pk]))
        assert response.status_code == 200, url_name
        html = response.content.decode()
        assert f'href="{workspace}"' in html, url_name  # their own view of the case
        # None of the developer's forms (they all post under /cases/<pk>/).
        assert f'action="/cases/{submitted_case.pk}/' not in html, url_name
        assert "Withdraw this case" not in html and "Upload an artifact" not in html


@pytest.mark.parametrize("url_name", SECTION_URL_NAMES)
def test_people_out_of_reach_get_404_on_every_section(
    client, other_submitter, nsa_reviewer, submitted_case, draft, coordinator, url_name
):
    for person, case in (
        (other_submitter, submitted_case),
        (nsa_reviewer, submitted_case),
        (coordinator, draft),  # a draft is the developer's alone
    ):
        client.force_login(person)
        assert client.get(reverse(url_name, args=[case.pk])).status_code == 404
    assert client.get(reverse(url_name, args=[10**9])).status_code == 404


@pytest.mark.parametrize("url_name", SECTION_URL_NAMES)
def test_sections_take_no_post(client, submitter, submitted_case, url_name):
    client.force_login(submitter)
    assert client.post(reverse(url_name, args=[submitted_case.pk])).status_code == 405


# Constant SQL.


def _case_with(submitter, coordinator, reviewer, count: int):
    """A submitted case with ``count`` of everything its sections list: artifacts and
    scores (and their audit events), information requests, findings shared with the
    developer, threads, and operators' grants."""
    case = make_draft(submitter, model_name=f"Size{count}")
    for n in range(count):
        add_artifact(case, submitter, f"card {count} {n}".encode(), name=f"card{n}.md")
        benchmark, _ = Benchmark.objects.get_or_create(
            slug=f"bench-{n}", defaults={"name": f"Bench {n}", "unit": "%", "category": "autonomy"}
        )
        artifact_services.set_eval_result(
            actor=submitter, case_id=case.pk, benchmark=benchmark, score=Decimal(n + 1)
        )
    case = case_services.submit_case(actor=submitter, case_id=case.pk)
    assign(coordinator, case, reviewer, role=Assignment.Role.LEAD)
    for n in range(count):
        request_services.open_request(
            actor=reviewer,
            case_id=case.pk,
            question=f"Question {n}?",
            response_due=timezone.localdate() + timedelta(days=10),
        )
        record(reviewer, case, title=f"Finding {n}", marking=Marking.DEVELOPER)
        start_thread(
            actor=submitter,
            case_id=case.pk,
            subject=f"Thread {n}",
            marking="developer",
            body="A question.",
        )
        operator, _ = Organization.objects.get_or_create(
            slug=f"operator-{n}",
            defaults={
                "name": f"Operator {n}",
                "kind": Organization.Kind.OPERATOR,
                "sector": Organization.Sector.FINANCIAL_SERVICES,
            },
        )
        access_services.grant_access(actor=submitter, case_id=case.pk, operator=operator)
    return case


def all_section_urls(user, case) -> list[str]:
    """Every section of the case page this person finds in the side navigation."""
    added = [
        reverse("portal:case_section", args=[case.pk, added.key])
        for added in case_sections(CASE_PAGE, user, case)
    ]
    return [reverse(url_name, args=[case.pk]) for url_name in SECTION_URL_NAMES] + added


# The case app's own sections and the Review, tighter than the common ceiling: the
# frame pays the case (with its header's clock) and the routed agencies; the
# overview reads the clock's ledger for its box.
OWN_QUERIES = {
    "submitter": {"overview": 3, "artifacts": 4, "scores": 4, "timeline": 4, "review": 6},
    "coordinator": {"overview": 3, "artifacts": 3, "scores": 4, "timeline": 3},
}


@pytest.mark.parametrize("persona", ["submitter", "coordinator"])
def test_each_section_makes_the_same_queries_for_1_and_8_of_everything(
    client, submitter, coordinator, reviewer, media, persona
):
    one = _case_with(submitter, coordinator, reviewer, 1)
    many = _case_with(submitter, coordinator, reviewer, 8)
    person = {"submitter": submitter, "coordinator": coordinator}[persona]
    client.force_login(person)
    sections = list(zip(all_section_urls(person, one), all_section_urls(person, many), strict=True))
    assert len(sections) == {"submitter": 7, "coordinator": 6}[persona]
    for urls in sections:
        counts = []
        for url in urls:
            client.get(url)  # the session's first request does one-off work
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(len(queries.captured_queries))
        assert counts[0] == counts[1], (urls, counts)
        # The section's own queries, over the signed-in baseline.
        section = urls[0].split(f"/{one.pk}/", 1)[1].strip("/") or "overview"
        budget = OWN_QUERIES[persona].get(section, SECTION_OWN_QUERIES)
        assert counts[0] - baseline_queries(client) <= budget, (urls, counts)


# The sections other apps add (portal.core.hooks.case_panel with a section).

ADDED_SECTIONS = [("review", "Review"), ("discussion", "Discussion"), ("access", "Operator access")]


def added_url(case, key) -> str:
    return reverse("portal:case_section", args=[case.pk, key])


@pytest.mark.parametrize(("key", "label"), ADDED_SECTIONS)
def test_each_added_section_is_a_page_of_its_own_in_the_side_navigation(
    client, submitter, submitted_case, key, label
):
    client.force_login(submitter)
    url = added_url(submitted_case, key)
    html = client.get(url).content.decode()
    assert CURRENT.findall(html) == [(url, label)]
    assert f"<title>{label} · {submitted_case.reference}" in html
    overview = client.get(reverse("portal:case_detail", args=[submitted_case.pk]))
    assert f'href="{url}"' in overview.content.decode()
    # Its panel runs on its own section only, so the overview does not pay for it.
    assert overview.context["panels"] == []
    navigation = [item["key"] for item in overview.context["sections"]]
    assert navigation == [
        "overview",
        "artifacts",
        "scores",
        "review",
        "discussion",
        "access",
        "timeline",
    ]


def test_agency_staff_find_the_access_and_discussion_sections_but_not_the_review(
    client, coordinator, submitted_case
):
    client.force_login(coordinator)
    assert client.get(added_url(submitted_case, "access")).status_code == 200
    assert client.get(added_url(submitted_case, "discussion")).status_code == 200
    # The developer's view of the review: the workspace has its own sections for it.
    assert client.get(added_url(submitted_case, "review")).status_code == 404


@pytest.mark.parametrize(("key", "label"), ADDED_SECTIONS)
def test_added_sections_are_404_out_of_reach_and_on_a_draft(
    client, submitter, other_submitter, nsa_reviewer, submitted_case, draft, key, label
):
    for person, case in ((other_submitter, submitted_case), (nsa_reviewer, submitted_case)):
        client.force_login(person)
        assert client.get(added_url(case, key)).status_code == 404
    client.force_login(submitter)
    assert client.get(added_url(draft, key)).status_code == 404  # nothing to show yet
    assert client.get(added_url(submitted_case, "nonsense")).status_code == 404
    assert client.post(added_url(submitted_case, key)).status_code == 405
    html = client.get(reverse("portal:case_detail", args=[draft.pk])).content.decode()
    assert f'href="{added_url(draft, key)}"' not in html


def test_no_added_section_hides_behind_a_fixed_one():
    """A fixed URL (artifacts/, scores/, …) is matched first: an added key must differ."""
    fixed = {key for key, _label, _url_name in SECTIONS}
    added = {key for key, _label in ADDED_SECTIONS}
    assert set(CASE_SECTIONS) == added and not fixed & added
