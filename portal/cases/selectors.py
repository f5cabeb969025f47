"""Reads of cases that more than one page needs.

``search_cases`` is the one way to look cases up by what a person types:
PostgreSQL's full-text search where the database is PostgreSQL, plain
``icontains`` on SQLite, and always only among the cases the person may see.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When

from portal.cases.models import Submission
from portal.cases.models.cases import CASE_SEARCH_CONFIG, case_search_vector


def full_text_search() -> bool:
    return connection.vendor == "postgresql"


def search_cases(user, query: str) -> QuerySet[Submission]:
    """The cases visible to ``user`` that match ``query``, best match first.

    Matches the case number (exactly, or any part of it: "0042"), the model's
    name and version, and the developer's name. An exact case number comes first.
    """
    query = query.strip()
    cases = Submission.objects.visible_to(user).select_related("developer")
    if not query:
        return cases.none()
    by_number = Q(number__icontains=query)
    by_developer = Q(developer__name__icontains=query)
    exact = Case(When(number__iexact=query, then=Value(1)), default=Value(0))
    if full_text_search():
        words = SearchQuery(query, config=CASE_SEARCH_CONFIG, search_type="websearch")
        return (
            cases.alias(search=case_search_vector())
            .annotate(rank=SearchRank(case_search_vector(), words), exact=exact)
            .filter(Q(search=words) | by_number | by_developer)
            .order_by("-exact", "-rank", "-created_at", "-pk")
        )
    by_model = Q(model_name__icontains=query) | Q(model_version__icontains=query)
    return (
        cases.annotate(exact=exact)
        .filter(by_model | by_number | by_developer)
        .order_by("-exact", "-created_at", "-pk")
    )
