"""Search: cases by number, model and developer, findings by title for agency staff,
only among what the person may see, and bad input answered with a message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.cases.selectors import search_cases
from portal.cases.services import lifecycle as case_services
from reviews.models import Marking
from reviews.selectors import search_findings
from tests.reviews.fixtures_reviewer import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_reviewer import assign, record

SEARCH = reverse("reviews:search")


@pytest.fixture
def submit(make_ready_draft, submitter, caisi):
    """``submit(actor=..., **fields)``: a new case, submitted (and so routed to CAISI)."""

    def make(*, actor=None, **fields):
        actor = actor or submitter
        draft = make_ready_draft(actor=actor, **fields)
        case = case_services.submit_case(actor=actor, case_id=draft.pk)
        case.refresh_from_db()
        return case

    return make


# Each list's rows are the columns they show (values() dicts: reviews.search_rows).
def case_numbers(response) -> list[str]:
    return [case["number"] for case in response.context["cases"].object_list]


def finding_titles(response) -> list[str]:
    return [finding["title"] for finding in response.context["findings"].object_list]


def test_a_coordinator_finds_cases_by_number_model_and_developer(
    client, coordinator, submit, other_submitter
):
    aurora = submit(model_name="Aurora", model_version="2.0")
    zephyr = submit(actor=other_submitter, model_name="Zephyr", model_version="1.5")
    client.force_login(coordinator)
    assert case_numbers(client.get(SEARCH, {"q": "aurora"})) == [aurora.number]
    assert case_numbers(client.get(SEARCH, {"q": "Meridian"})) == [zephyr.number]
    assert case_numbers(client.get(SEARCH, {"q": zephyr.number})) == [zephyr.number]
    # A part of the number: the serial alone finds the case.
    serial = zephyr.number.rsplit("-", 1)[1]
    assert zephyr.number in case_numbers(client.get(SEARCH, {"q": serial}))
    response = client.get(SEARCH, {"q": "aurora"})
    assert b"1 case match" in response.content


def test_an_exact_case_number_comes_first(client, coordinator, submit):
    first = submit(model_name="Aurora")
    submit(model_name="Borealis")
    client.force_login(coordinator)
    assert case_numbers(client.get(SEARCH, {"q": first.number}))[0] == first.number


def test_a_developer_finds_their_cases_and_never_anothers(
    client, submitter, other_submitter, submit
):
    mine = submit(model_name="Aurora")
    submit(actor=other_submitter, model_name="Aurora Rival")
    client.force_login(submitter)
    response = client.get(SEARCH, {"q": "aurora"})
    assert case_numbers(response) == [mine.number]
    assert b"Rival" not in response.content
    assert b"Meridian" not in response.content
    assert b"1 case match" in response.content
    # Searching for the other developer by name finds nothing and says only that.
    response = client.get(SEARCH, {"q": "Meridian"})
    assert case_numbers(response) == []
    assert b"0 cases match" in response.content


def test_an_operator_finds_no_case_they_were_not_granted(client, operator, submit):
    case = submit(model_name="Aurora")
    client.force_login(operator)
    for query in ("aurora", case.number, "Northwind"):
        response = client.get(SEARCH, {"q": query})
        assert response.status_code == 200
        assert case_numbers(response) == []
        assert "findings" not in response.context or finding_titles(response) == []
        assert b"Aurora" not in response.content


def test_a_coordinator_finds_a_finding_by_title(client, coordinator, reviewer, submit):
    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    record(reviewer, case, title="Jailbreaks persist after fine-tuning", evidence=None)
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": "jailbreaks"})
    assert finding_titles(response) == ["Jailbreaks persist after fine-tuning"]
    assert b"1 finding match" in response.content


@pytest.mark.parametrize(
    ("marking", "nsa_finds"),
    [(Marking.AGENCY_ONLY, False), (Marking.INTERAGENCY, True), (Marking.DEVELOPER, True)],
)
def test_finding_search_keeps_to_the_marking(
    client, personas_matrix, review_case, marking, nsa_finds
):
    finding = record(
        personas_matrix["author"], review_case, title="Sandbox escape found", marking=marking
    )
    finds = {
        "author": True,
        "coordinator": True,
        "nsa_coordinator": nsa_finds,
        "nsa_reviewer": False,
        # Developers and operators never get findings from search, whatever the marking.
        "submitter": False,
        "other_submitter": False,
        "operator": False,
        "other_operator": False,
    }
    for name, found in finds.items():
        person = personas_matrix[name]
        assert search_findings(person, "sandbox").filter(pk=finding.pk).exists() == found, name
        client.force_login(person)
        response = client.get(SEARCH, {"q": "sandbox"})
        assert response.status_code == 200, name
        assert (b"Sandbox escape found" in response.content) == found, name
        if not found:
            assert b"1 finding" not in response.content, name


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_asks_for_words(client, coordinator, submit, query):
    submit()
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert b"Type a case number" in response.content
    assert case_numbers(response) == []
    assert search_cases(coordinator, query).count() == 0


def test_no_query_at_all_shows_the_form_without_an_error(client, coordinator):
    client.force_login(coordinator)
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert case_numbers(response) == []
    assert b"usa-error-message" not in response.content


def test_results_link_to_where_each_role_works(client, coordinator, submitter, reviewer, submit):
    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    finding = record(reviewer, case, title="Aurora leaks weights", evidence=None)
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": "aurora"})
    workspace = reverse("reviews:workspace", args=[case.pk])
    assert f'href="{workspace}"'.encode() in response.content
    findings = reverse("reviews:case_findings", args=[case.pk])
    assert f'href="{findings}#finding-{finding.pk}"'.encode() in response.content
    client.force_login(submitter)
    response = client.get(SEARCH, {"q": "aurora"})
    assert reverse("portal:case_detail", args=[case.pk]).encode() in response.content
    assert workspace.encode() not in response.content


def test_a_very_long_query_is_a_form_error(client, coordinator, submit):
    submit()
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": "a" * 10_000})
    assert response.status_code == 200
    assert b"at most 200 characters" in response.content
    assert case_numbers(response) == []


@pytest.mark.parametrize(
    "query",
    ['<script>alert("x")</script>', "' OR 1=1 --", "aurora & | ! ( :*", '"unclosed', "%_\\"],
)
def test_hostile_queries_are_escaped_and_never_fail(client, coordinator, submit, query):
    submit()
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert b"<script>alert" not in response.content


def test_people_without_a_role_may_not_search(client, outsider, platform_admin):
    for person in (outsider, platform_admin):
        client.force_login(person)
        assert client.get(SEARCH, {"q": "aurora"}).status_code == 403


def test_the_header_has_a_search_box_for_people_with_a_role(client, submitter, outsider):
    client.force_login(submitter)
    assert b'role="search"' in client.get(reverse("portal:notification_list")).content
    client.force_login(outsider)
    page = client.get(reverse("portal:notification_list"))
    assert b"portal-search-field" not in page.content


def test_results_are_paged(client, coordinator, submit):
    for number in range(23):
        submit(model_name=f"Aurora {number:02d}")
    client.force_login(coordinator)
    first = client.get(SEARCH, {"q": "aurora"})
    # Never counted in full: the first page knows only that more follow.
    assert first.context["cases"].count is None
    assert b"More than 20 cases match" in first.content
    assert len(case_numbers(first)) == 20
    second = client.get(SEARCH, {"q": "aurora", "page": "2"})
    assert len(case_numbers(second)) == 3
    assert second.context["cases"].count == 23
    assert b"23 cases match" in second.content
    # Past the end: no rows, and no number that could be wrong.
    past = client.get(SEARCH, {"q": "aurora", "page": "9"})
    assert case_numbers(past) == []
    assert b"No more cases match" in past.content
    for hostile in ("0", "-3", "x", "9" * 40):
        response = client.get(SEARCH, {"q": "aurora", "page": hostile})
        assert response.status_code == 200, hostile


# Query budget: the same number of queries at any size.


def count_queries(client, query) -> int:
    client.get(SEARCH, {"q": query})  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    return len(queries)


def test_search_makes_a_fixed_number_of_queries(client, coordinator, reviewer, submit):
    def add_case(number):
        case = submit(model_name=f"Aurora {number:02d}")
        assign(coordinator, case, reviewer)
        record(reviewer, case, title=f"Aurora leaks weights {number}", evidence=None)

    add_case(0)
    client.force_login(coordinator)
    small = count_queries(client, "aurora")
    for number in range(1, 6):
        add_case(number)
    assert count_queries(client, "aurora") == small


@pytest.mark.postgres
def test_the_three_lists_are_read_in_one_round_trip(client, coordinator, reviewer, submit):
    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    record(reviewer, case, title="Aurora leaks weights", evidence=None)
    client.force_login(coordinator)
    client.get(SEARCH, {"q": "aurora"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": "aurora"})
    together = [q["sql"] for q in queries if "discussions_thread" in q["sql"]]
    assert len(together) == 1 and "reviews_finding" in together[0], together
    assert case_numbers(response) == [case.number]
    assert finding_titles(response) == ["Aurora leaks weights"]


def test_the_page_lists_exactly_what_the_selectors_find(client, coordinator, reviewer, submit):
    for number in range(3):
        case = submit(model_name=f"Aurora {number}")
        assign(coordinator, case, reviewer)
        record(reviewer, case, title=f"Aurora leaks weights {number}", evidence=None)
    submit(model_name="Zephyr")
    for person in (coordinator, reviewer):
        client.force_login(person)
        response = client.get(SEARCH, {"q": "aurora"})
        cases = response.context["cases"].object_list
        findings = response.context["findings"].object_list
        assert [c["pk"] for c in cases] == [c.pk for c in search_cases(person, "aurora")]
        assert [f["pk"] for f in findings] == [f.pk for f in search_findings(person, "aurora")]
        for case in search_cases(person, "aurora"):
            assert f">{case.reference}</a>" in response.content.decode()
            assert f'<td data-label="Model">{case.title}</td>' in response.content.decode()


def test_a_person_whose_membership_changes_searches_with_the_new_one(
    client, coordinator, reviewer, submit, nsa
):
    """The visibility built once per process follows the person's membership."""
    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    record(reviewer, case, title="Aurora leaks weights", evidence=None)
    client.force_login(coordinator)
    assert finding_titles(client.get(SEARCH, {"q": "aurora"})) == ["Aurora leaks weights"]
    membership = coordinator.membership
    membership.agency = nsa  # another agency: CAISI's agency-only finding is not theirs
    membership.save()
    coordinator.refresh_from_db()
    assert search_findings(coordinator, "aurora").count() == 0
    assert finding_titles(client.get(SEARCH, {"q": "aurora"})) == []


def test_markup_in_a_model_name_is_escaped_in_results(client, coordinator, submit):
    submit(model_name='<img src=x onerror="alert(1)">Aurora')
    client.force_login(coordinator)
    response = client.get(SEARCH, {"q": "aurora"})
    assert len(case_numbers(response)) == 1
    assert b"<img src=x" not in response.content
    assert b"&lt;img src=x" in response.content


def test_each_list_pages_on_its_own(client, coordinator, reviewer, submit):
    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    for number in range(21):
        record(reviewer, case, title=f"Aurora leaks weights {number}", evidence=None)
    client.force_login(coordinator)
    first = client.get(SEARCH, {"q": "aurora"})
    assert b"q=aurora&amp;findings_page=2" in first.content
    second = client.get(SEARCH, {"q": "aurora", "findings_page": "2"})
    assert len(finding_titles(second)) == 1
    assert case_numbers(second) == [case.number]


# The stored search vectors and the developer's name.


def test_a_renamed_developer_is_found_by_its_new_name_only(client, coordinator, submit):
    case = submit(model_name="Aurora")
    developer = case.developer
    old_name = developer.name
    developer.name = "Solstice Systems"
    developer.save()
    client.force_login(coordinator)
    assert case_numbers(client.get(SEARCH, {"q": "solstice"})) == [case.number]
    assert case_numbers(client.get(SEARCH, {"q": old_name})) == []


@pytest.mark.postgres
def test_the_database_keeps_the_search_vectors_whatever_writes_the_row(
    client, coordinator, reviewer, submit
):
    from portal.cases.models import Submission
    from reviews.models import Finding

    case = submit(model_name="Aurora")
    assign(coordinator, case, reviewer)
    record(reviewer, case, title="Aurora leaks weights", evidence=None)
    # Writes that no save() sees: the generated columns follow them all the same.
    Submission.objects.filter(pk=case.pk).update(model_name="Borealis")
    Finding.objects.filter(case=case).update(title="Borealis hides its tools")
    client.force_login(coordinator)
    assert case_numbers(client.get(SEARCH, {"q": "borealis"})) == [case.number]
    assert case_numbers(client.get(SEARCH, {"q": "aurora"})) == []
    # The "english" configuration stems: "tool" finds "tools".
    assert finding_titles(client.get(SEARCH, {"q": "tool"})) == ["Borealis hides its tools"]


@pytest.mark.postgres
def test_search_matches_the_stored_vectors_through_their_gin_indexes(coordinator):
    from portal.discussions.selectors import search_threads

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [["case_search_vector", "finding_search_vector", "thread_search_vector"]],
        )
        definitions = dict(cursor.fetchall())
    assert len(definitions) == 3
    assert all("USING gin (search_vector)" in d for d in definitions.values()), definitions
    # No query parses a row's text: they match the stored column.
    for queryset in (
        search_cases(coordinator, "aurora"),
        search_findings(coordinator, "aurora"),
        search_threads(coordinator, "aurora"),
    ):
        sql = str(queryset.query)
        assert "to_tsvector" not in sql
        assert "search_vector" in sql


def test_probing_visibility_case_by_case_sees_exactly_the_same_cases(
    personas_matrix, review_case, submit, other_submitter
):
    from portal.cases.models import Submission

    submit(actor=other_submitter, model_name="Zephyr")
    for name, person in personas_matrix.items():
        joined = set(Submission.objects.visible_to(person).values_list("pk", flat=True))
        probed = Submission.objects.visible_to(person, probe=True).values_list("pk", flat=True)
        assert set(probed) == joined, name
