"""Reads of cases that more than one page needs.

``search_cases`` is the one way to look cases up by what a person types:
PostgreSQL's full-text search where the database is PostgreSQL, plain
``icontains`` on SQLite, and always only among the cases the person may see.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When

from portal.accounts.models import Membership
from portal.audit.models import AuditEvent
from portal.cases.models import ScoreCorrection, Submission
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


# The case page's timeline: what happened to the case, its artifacts and its scores.
TIMELINE_PREFIXES = ("case.", "artifact.", "eval.")
PORTAL_NAME = "Frontier Review Portal"


def case_timeline(case: Submission, *, for_developer: bool) -> list[AuditEvent]:
    """The case's audit events for its timeline, each with ``who`` acted.

    Agency staff read the person (``actor_repr``). Toward the developer the
    government is named by agency, never by person: the actors' memberships are
    read in one query for the whole timeline, and an agency's person becomes the
    agency's acronym, another organization's person the organization, and a
    person of neither (a platform admin) the portal. The developer's own people
    keep their names, and the portal's own jobs their names ("grant expiry").
    """
    events = [
        event
        for event in AuditEvent.objects.for_target(case)
        .order_by("sequence")
        .only("sequence", "created_at", "actor_id", "actor_repr", "action", "details")
        if event.action.startswith(TIMELINE_PREFIXES)
    ]
    if not for_developer:
        for event in events:
            event.who = event.actor_repr
        return events
    actor_ids = {event.actor_id for event in events if event.actor_id}
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(user_id__in=actor_ids).select_related(
            "agency", "organization"
        )
    }
    for event in events:
        event.who = _named_for_developer(event, memberships.get(event.actor_id), case)
    return events


def _named_for_developer(event: AuditEvent, membership: Membership | None, case) -> str:
    if event.actor_id is None:
        # The portal's own work (actor_repr names the job, "grant expiry"): people
        # are never deleted (the audit log protects them), so no person hides here.
        return event.actor_repr
    if membership is None:
        return PORTAL_NAME
    if membership.agency_id is not None:
        assert membership.agency is not None
        return membership.agency.acronym
    if membership.organization_id == case.developer_id:
        return event.actor_repr
    return str(membership.organization)


def score_corrections(case):
    """The corrections of a case's reported scores, oldest first: one query."""
    return (
        ScoreCorrection.objects.filter(result__case=case)
        .select_related("result__benchmark", "corrected_by")
        .order_by("corrected_at", "pk")
    )
