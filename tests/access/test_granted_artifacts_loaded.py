"""A list's grants read their artifacts in one query (``access.selectors.load_granted_artifacts``):
each grant gets what it would read alone, a grant of every artifact its case's, a
grant of chosen ones those it chose."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessGrant
from access.selectors import load_granted_artifacts
from portal.cases.models import CaseStatus
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import give_access


def test_each_grant_reads_what_it_would_alone_in_one_query(
    submitter, case_in, make_ready_draft, move_case, bank, granite
):
    whole = case_in(CaseStatus.IN_REVIEW)
    chosen = make_ready_draft()
    move_case(chosen, "submit")
    card = chosen.artifacts.get()
    grants = [
        give_access(submitter, whole, bank),
        give_access(submitter, chosen, bank, all_artifacts=False, artifact_ids=[card.pk]),
        give_access(submitter, chosen, granite, all_artifacts=False, artifact_ids=[card.pk]),
        give_access(submitter, whole, granite),
    ]
    alone = {grant.pk: sorted(a.pk for a in grant.granted_artifacts()) for grant in grants}
    assert alone[grants[0].pk] == sorted(whole.artifacts.values_list("pk", flat=True))
    assert alone[grants[1].pk] == [card.pk]

    listed = list(AccessGrant.objects.filter(pk__in=[g.pk for g in grants]).order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        load_granted_artifacts(listed)
        together = {grant.pk: sorted(a.pk for a in grant.granted_artifacts()) for grant in listed}
    assert len(queries) == 1
    assert together == alone


def test_no_grant_no_query(db):
    with CaptureQueriesContext(connection) as queries:
        load_granted_artifacts([])
    assert len(queries) == 0


def test_the_granted_models_page_costs_the_same_for_one_grant_or_more(
    client, submitter, operator, case_in, make_ready_draft, move_case, bank
):
    whole = case_in(CaseStatus.IN_REVIEW)
    give_access(submitter, whole, bank)
    client.force_login(operator)
    page = reverse("access:granted_models")
    client.get(page)  # the header's counts, cached from then on
    with CaptureQueriesContext(connection) as one:
        client.get(page)
    few = len(one)  # now: the next request resets the connection's query log
    chosen = make_ready_draft()
    move_case(chosen, "submit")
    card = chosen.artifacts.get()
    give_access(submitter, chosen, bank, all_artifacts=False, artifact_ids=[card.pk])
    client.get(page)
    with CaptureQueriesContext(connection) as two:
        response = client.get(page)
    assert len(response.context["grants"]) == 2
    assert len(two) == few
    artifact_queries = [q for q in two.captured_queries if 'FROM "cases_artifact"' in q["sql"]]
    assert len(artifact_queries) == 1
