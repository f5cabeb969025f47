"""Reads of cases that more than one page needs.

``search_cases`` is the one way to look cases up by what a person types:
PostgreSQL's full-text search where the database is PostgreSQL, plain
``icontains`` on SQLite, and always only among the cases the person may see.
"""

import functools
import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When

from portal.accounts.models import Membership, Organization
from portal.accounts.visibility import keeps_permission_ids, stand_in
from portal.audit.models import AuditEvent
from portal.cases.models import ScoreCorrection, Submission
from portal.cases.models.cases import CASE_SEARCH_CONFIG

# A case number (FMR-YYYY-NNNN) is made of these characters only: a query with
# any other cannot be part of one, and is not matched against the numbers.
CASE_NUMBER_PART = re.compile(r"[FMR0-9-]+", re.IGNORECASE)


def full_text_search() -> bool:
    return connection.vendor == "postgresql"


def search_cases(user, query: str) -> QuerySet[Submission]:
    """The cases visible to ``user`` that match ``query``, newest first.

    Matches the case number (exactly, or any part of it: "0042"), the model's
    name and version, and the developer's name. An exact case number comes first.

    Each part is matched on its own index, none row by row through a join: on
    PostgreSQL the model's words through the stored ``search_vector`` (GIN
    index ``case_search_vector``); the developer by name on the organizations
    (a small table), then its cases by ``developer_id``; the number only for a
    query that could be part of one. SQLite matches substrings. Matches are not
    ranked: model names and versions are a few words each, a rank hardly tells
    them apart, and ranking means a pass over every match. Newest first, the
    page walks the ``case_newest`` index and checks each case's visibility as
    it goes (``visible_to(probe=True)``), so a query matching every case reads
    one page of them; a rare word is found through the GIN index instead.
    """
    query = query.strip()
    if not query or not user.is_authenticated:
        return Submission.objects.none()
    cases = _searchable_cases(user.pk).all()
    # A list of ids, not a subquery: the planner then knows how few cases match.
    developers = list(
        Organization.objects.filter(name__icontains=query).values_list("pk", flat=True)
    )
    matches = Q(developer_id__in=developers)
    ordering = ["-created_at", "-pk"]
    if CASE_NUMBER_PART.fullmatch(query):
        matches |= Q(number__icontains=query)
        cases = cases.annotate(
            exact=Case(When(number__iexact=query, then=Value(1)), default=Value(0))
        )
        ordering.insert(0, "-exact")
    if full_text_search():
        words = SearchQuery(query, config=CASE_SEARCH_CONFIG, search_type="websearch")
        matches |= Q(search_vector=words)
    else:
        matches |= Q(model_name__icontains=query) | Q(model_version__icontains=query)
    return cases.filter(matches).order_by(*ordering)


@keeps_permission_ids
@functools.lru_cache(maxsize=256)
def _searchable_cases(user_id: int):
    """The cases a person may see (``visible_to(probe=True)``), built once per
    process for each person (it reads nothing of them but their id), as
    ``reviews.selectors._reviewer_queue``: never evaluated itself, each search
    reads afresh from its own copy (``.all()``).
    """
    return Submission.objects.visible_to(
        stand_in((user_id, None, None, None)), probe=True
    ).select_related("developer")


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
