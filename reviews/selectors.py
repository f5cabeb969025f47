"""Reading reviewer work: the queues, each one permission-filtered queryset.

Counts and the highest severity are annotated in SQL, and the severity only
counts findings the person may read (their marking), so a queue never hints at
a finding outside it.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.accounts.models import Agency, Organization
from portal.accounts.visibility import keeps_permission_ids, membership_key, stand_in
from portal.cases.models import UNDER_REVIEW, CaseRouting, CaseStatus, Submission, routing_staffed
from portal.cases.selectors import full_text_search
from reviews.loads import kept, kept_loads
from reviews.models import (
    FINDING_SEARCH_CONFIG,
    AgencyPosition,
    Assignment,
    Finding,
    InformationRequest,
    PositionMarking,
    Recommendation,
    readable_by_agency,
)


def _open_requests():
    return InformationRequest.objects.filter(
        case=OuterRef("pk"), status=InformationRequest.Status.OPEN
    )


def reviewer_queue(user):
    """Cases the reviewer is assigned to (invited, accepted or completed).

    Driven from the reviewer's own assignments, joined once: a person holds at
    most one assignment per case (a partial unique constraint), so the join
    gives one row per case and its columns (due date, status, role) are plain
    columns to sort and filter on, not a subquery per case.

    A reviewer may read a case once they accept (and still after completing),
    never while only invited: the highest severity counts the findings their
    agency may read on the cases they may read, as ``Finding.visible_to``.
    """
    return _reviewer_queue(user.pk, user.membership.agency_id).all()


# ~40 KiB each: at most ~10 MiB per process, for the reviewers it served last.
@functools.lru_cache(maxsize=256)
def _reviewer_queue(reviewer_id: int, agency_id: int):
    """``reviewer_queue``'s queryset, built once per process for each reviewer.

    Building it (the filtered join, the severity subquery) took as many function
    calls as compiling it to SQL; nothing in it changes between requests but the
    rows, which each use reads afresh from its own copy (``.all()``). Never
    evaluated itself, so it holds no rows.
    """
    readable = Q(mine__status__in=[Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED])
    return (
        Submission.objects.alias(
            mine=FilteredRelation(
                "assignments",
                condition=Q(
                    assignments__reviewer_id=reviewer_id, assignments__status__in=Assignment.HOLDING
                ),
            )
        )
        .filter(mine__isnull=False)
        .select_related("developer")
        .annotate(
            has_open_request=Exists(_open_requests()),
            top_severity=Case(
                When(readable, then=_highest_severity_for_agency(agency_id)),
                default=Value(0),
            ),
            my_assignment_id=F("mine__pk"),
            my_due=F("mine__due_date"),
            my_status=F("mine__status"),
            my_role=F("mine__role"),
        )
    )


def held_assignments(user) -> dict:
    """The reviewer's assignments in their queue, from their index: one query, kept in
    the cache until an assignment is written (``reviews.loads``).

    ``counts`` by status (how many invitations wait; with the others, the
    queue's length), and ``version``, which changes whenever the set of
    assignments does: a new assignment has a higher id than any before it,
    one that leaves the queue (declined, removed) lowers the count, and none
    comes back into it (an answered or removed invitation stays so).
    """
    return kept("held_assignments", user.pk, _held_assignments)


def _held_assignments(reviewer_id: int) -> dict:
    rows = list(
        Assignment.objects.filter(reviewer_id=reviewer_id, status__in=Assignment.HOLDING)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"), last=Max("pk"))
    )
    counts = {status: count for status, count, _last in rows}
    return {
        "counts": counts,
        "version": f"{sum(counts.values())}.{max((last for *_, last in rows), default=0)}",
    }


def reviewer_invitations(user):
    """The reviewer's invitations waiting for an answer, soonest due first, with their cases."""
    return _reviewer_invitations(user.pk).all()


@functools.lru_cache(maxsize=256)
def _reviewer_invitations(reviewer_id: int):
    """Built once per process per reviewer, as ``_reviewer_queue``; never evaluated itself."""
    return (
        Assignment.objects.filter(reviewer_id=reviewer_id, status=Assignment.Status.INVITED)
        .select_related("case", "case__developer")
        .order_by("due_date", "pk")
    )


DEVELOPERS_CACHED_FOR = 600  # seconds: a renamed developer shows its new name within this


def reviewer_developers(user, version: str) -> list[tuple[int, str]]:
    """(id, name) of the developers of the reviewer's cases, by name.

    The queue's developer filter offers exactly these. Cached per reviewer
    under ``held_assignments(user)["version"]``, so a new or lost case shows
    at once; only a developer's new name waits for the cache to expire.
    """
    key = f"reviews:developers:{user.pk}:{version}"
    developers = cache.get(key)
    if developers is None:
        mine = Assignment.objects.filter(reviewer=user, status__in=Assignment.HOLDING)
        developers = list(
            Organization.objects.filter(
                pk__in=Submission.objects.filter(pk__in=mine.values("case_id")).values(
                    "developer_id"
                )
            )
            .order_by("name")
            .values_list("pk", "name")
        )
        cache.set(key, developers, DEVELOPERS_CACHED_FOR)
    return developers


CLOSED = (CaseStatus.RELEASED, CaseStatus.WITHDRAWN)


def queue_routings(agency_id: int):
    """The agency's queue in order: unassigned first, then soonest due.

    The queue is the agency's routings: routing a case is what gives its
    coordinators the right to see it, and each routing carries what the queue
    sorts and filters on (the case's status and due date, its number of active
    reviewers of the agency). The open cases are read in order from the
    partial index ``routing_open_queue``, a page at a time.
    """
    return (
        CaseRouting.objects.filter(agency_id=agency_id)
        .annotate(staffed=routing_staffed())
        .order_by("staffed", F("review_due").asc(nulls_last=True), "case_id")
    )


def _highest_severity_for_agency(agency_id: int):
    """The highest severity among a case's findings that the agency's staff may read.

    For cases the agency may see (routed to it): agency-only findings of its own
    and every finding marked interagency or wider, as ``Finding.visible_to``.
    """
    readable = (
        Finding.objects.filter(case=OuterRef("pk"))
        .exclude(status=Finding.Status.WITHDRAWN)
        .filter(readable_by_agency(agency_id))
        .order_by()
        .values("case")
        .annotate(top=Max("severity"))
        .values("top")
    )
    return Coalesce(Subquery(readable, output_field=IntegerField()), Value(0))


def coordinator_cases(user, case_ids: list[int]) -> list:
    """The cases of one page of the queue, in the order given, with what each row shows.

    Only cases routed to the coordinator's agency come back; the severity is
    over the page's cases only.
    """
    cases = _agency_cases(user.membership.agency_id).filter(pk__in=case_ids)
    by_pk = {case.pk: case for case in cases}
    return [by_pk[pk] for pk in case_ids if pk in by_pk]


@functools.lru_cache(maxsize=64)
def _agency_cases(agency_id: int):
    """The agency's cases with what a queue row shows, built once per process per agency
    (as ``_reviewer_queue``); never evaluated itself."""
    return (
        Submission.objects.alias(
            here=FilteredRelation("routings", condition=Q(routings__agency_id=agency_id))
        )
        .filter(here__isnull=False)
        .select_related("developer")
        .order_by()
        .annotate(
            reviewer_count=F("here__reviewers"),
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_severity_for_agency(agency_id),
        )
    )


def needs_reviewer(status: str, reviewer_count: int) -> bool:
    """Whether the queue calls a case unassigned: under review with no active reviewer."""
    return reviewer_count == 0 and status in UNDER_REVIEW


def queue_counts(agency_id: int) -> dict:
    """The agency's open cases at a glance, whatever the filters show: one query.

    Counted over the agency's open routings (an index-only scan); the flags
    are small hashed sets (short notice and capability jumps have partial
    indexes of their own, open requests are few).
    """
    flagged = Submission.objects.values("pk")
    waiting = InformationRequest.objects.filter(status=InformationRequest.Status.OPEN)
    return (
        CaseRouting.objects.filter(agency_id=agency_id)
        .exclude(case_status__in=CLOSED)
        .aggregate(
            open=Count("pk"),
            # Only a case still under review waits for a reviewer; one with a
            # recommendation issued is done, whoever reviewed it.
            unassigned=Count("pk", filter=Q(reviewers=0, case_status__in=UNDER_REVIEW)),
            short_notice=Count("pk", filter=Q(case_id__in=flagged.filter(short_notice=True))),
            capability_jump=Count("pk", filter=Q(case_id__in=flagged.filter(capability_jump=True))),
            waiting_on_developer=Count("pk", filter=Q(case_id__in=waiting.values("case_id"))),
        )
    )


def cached_queue_counts(agency_id: int) -> dict:
    """``queue_counts``, kept in the cache until a write changes one (``reviews.loads``)."""
    return kept("queue_counts", agency_id, queue_counts)


def agency_reviewers(agency_id: int):
    """Active reviewers of an agency, by name."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__agency_id=agency_id,
            membership__role="reviewer",
        )
        .order_by("last_name", "first_name", "username")
    )


def open_loads(agency_id: int) -> dict[int, int]:
    """Open assignments per reviewer of an agency (one grouped query): {reviewer id: count}.

    Open work is an invited or accepted assignment on a case still under review:
    a withdrawn or released case no longer weighs on anyone. One pass over the
    agency's active assignments, hash-joined with the cases under review, not a
    subquery per person.
    """
    rows = (
        Assignment.objects.filter(
            agency_id=agency_id,
            status__in=Assignment.ACTIVE,
            # The agency's routings carry the case's status: no join of the cases.
            case_id__in=CaseRouting.objects.filter(
                agency_id=agency_id, case_status__in=UNDER_REVIEW
            ).values("case_id"),
        )
        .order_by()
        .values("reviewer_id")
        .annotate(count=Count("pk"))
        .values_list("reviewer_id", "count")
    )
    return dict(rows)


def cached_open_loads(agency_id: int) -> dict[int, int]:
    """``open_loads``, kept in the cache until a write changes a load (``reviews.loads``)."""
    return kept_loads(agency_id, open_loads)


def reviewer_loads(agency_id: int) -> list:
    """Active reviewers of an agency, each with ``open_load`` set (one query, and the
    loads from the cache: ``reviews.loads``)."""
    loads = cached_open_loads(agency_id)
    reviewers = list(agency_reviewers(agency_id))
    for person in reviewers:
        person.open_load = loads.get(person.pk, 0)
    return reviewers


def active_assignment(user, case) -> Assignment | None:
    """The person's accepted assignment on the case, if they hold one (with its agency)."""
    return (
        Assignment.objects.filter(case=case, reviewer=user, status=Assignment.Status.ACCEPTED)
        .select_related("agency")
        .first()
    )


def search_findings(user, query: str):
    """Findings whose title matches ``query``, among those ``user`` may read; agency staff only.

    Developers and operators read findings on their case pages; search does not
    list findings for them at all, so it cannot hint at one. Full-text search on
    PostgreSQL over the stored ``search_vector`` (GIN index
    ``finding_search_vector``), ``icontains`` on SQLite; newest first, like cases
    (titles are short: a rank would hardly tell them apart, and ranking every
    match costs a row-by-row pass over all of them).
    """
    query = query.strip()
    if not query or not user.is_agency_staff:
        return Finding.objects.none()
    findings = _readable_findings(membership_key(user)).all()
    if full_text_search():
        words = SearchQuery(query, config=FINDING_SEARCH_CONFIG, search_type="websearch")
        return findings.filter(search_vector=words).order_by("-created_at", "-pk")
    return findings.filter(title__icontains=query).order_by("-created_at", "-pk")


@keeps_permission_ids
@functools.lru_cache(maxsize=256)
def _readable_findings(key: tuple):
    """``Finding.objects.visible_to`` with the row's relations, built once per
    process for each person and membership (``membership_key``), as
    ``_reviewer_queue``; never evaluated itself."""
    return Finding.objects.visible_to(stand_in(key)).select_related("case", "agency")


# --- coordination: the lead, the participants and their positions ---------------------------


@dataclass
class AgencyState:
    """Where one routed agency stands on a case, with the dates of each step."""

    agency: Agency
    is_lead: bool
    routed_at: datetime
    reviewing_since: datetime | None  # its first reviewer's acceptance
    position: AgencyPosition | None
    deadline: date | None
    issued_at: datetime | None

    @property
    def no_response(self) -> bool:
        """A participant that let the response deadline pass without a position."""
        if self.is_lead:
            return False
        if self.position is not None:
            return self.position.stance == AgencyPosition.Stance.NO_RESPONSE
        return self.deadline is not None and self.deadline < timezone.localdate()

    @property
    def has_position(self) -> bool:
        return (
            self.position is not None and self.position.stance != AgencyPosition.Stance.NO_RESPONSE
        )

    @property
    def state(self) -> str:
        """One of: issued, position, no_response, reviewing, routed (the furthest step)."""
        if self.is_lead and self.issued_at:
            return "issued"
        if self.has_position:
            return "position"
        if self.no_response:
            return "no_response"
        return "reviewing" if self.reviewing_since else "routed"

    @property
    def label(self) -> str:
        if self.state == "issued":
            return f"Recommendation issued {self.issued_at:%b %-d, %Y}"
        if self.state == "position":
            assert self.position is not None
            return f"{self.position.get_stance_display()}, {self.position.recorded_at:%b %-d, %Y}"
        if self.state == "no_response":
            return f"No response (deadline {self.deadline:%b %-d, %Y} passed)"
        if self.state == "reviewing":
            return f"Reviewing since {self.reviewing_since:%b %-d, %Y}"
        return f"Routed {self.routed_at:%b %-d, %Y}"


def case_assignments(case) -> list:
    """Every assignment on the case, with its reviewer and agency, in the order made.

    Read once per case object: on a workspace page the header's reviewers, the
    agencies' states, the reviewers section and the person's own role on the case
    all come from this one list.
    """
    kept = vars(case).get("_case_assignments")
    if kept is None:
        kept = list(case.assignments.select_related("reviewer", "agency").order_by("pk"))
        vars(case)["_case_assignments"] = kept
    return kept


def accepted_assignment_in(user, case) -> Assignment | None:
    """``active_assignment``, found in ``case_assignments`` (no query of its own on a page
    that reads them anyway): a person holds at most one accepted assignment per case."""
    return next(
        (
            assignment
            for assignment in case_assignments(case)
            if assignment.reviewer_id == user.pk and assignment.status == Assignment.Status.ACCEPTED
        ),
        None,
    )


def case_routings(case) -> list:
    """The case's routings with their agencies, the recommendation's deadline and issue,
    and whether the agency recorded a position: one query, read once per case object."""
    kept = vars(case).get("_case_routings")
    if kept is None:
        the_recommendation = Recommendation.objects.filter(case_id=OuterRef("case_id"))
        kept = list(
            CaseRouting.objects.filter(case=case)
            .select_related("agency")
            .annotate(
                response_deadline=Subquery(the_recommendation.values("response_deadline")[:1]),
                issued_at=Subquery(the_recommendation.values("issued_at")[:1]),
                has_position=Exists(
                    AgencyPosition.objects.filter(
                        case_id=OuterRef("case_id"), agency_id=OuterRef("agency_id")
                    )
                ),
            )
            .order_by("routed_at", "pk")
        )
        vars(case)["_case_routings"] = kept
    return kept


def is_routed_agency(case, agency_id: int | None) -> bool:
    """Whether the case is routed to the agency (from ``case_routings``)."""
    return any(routing.agency_id == agency_id for routing in case_routings(case))


def agency_states(case, recommendation: Recommendation | None = None) -> list[AgencyState]:
    """Each routed agency's state on the case, the lead first: the routings' query and
    the case's assignments (``case_routings``, ``case_assignments``, each read once per
    case object), whatever the number of agencies, reviewers or positions; one more for
    the positions when an agency recorded one (a fourth when they have amendments)."""
    routings = case_routings(case)
    reviewing_since: dict[int, datetime] = {}
    for assignment in case_assignments(case):
        responded = assignment.responded_at
        if (
            assignment.status in (Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED)
            and responded is not None
            and (
                assignment.agency_id not in reviewing_since
                or responded < reviewing_since[assignment.agency_id]
            )
        ):
            reviewing_since[assignment.agency_id] = responded
    positions = (
        {
            position.agency_id: position
            for position in AgencyPosition.objects.filter(case=case).prefetch_related("amendments")
        }
        if any(routing.has_position for routing in routings)
        else {}
    )
    if recommendation is not None:
        for routing in routings:
            routing.response_deadline = recommendation.response_deadline
            routing.issued_at = recommendation.issued_at
    states = [
        AgencyState(
            agency=routing.agency,
            is_lead=routing.agency_id == case.lead_agency_id,
            routed_at=routing.routed_at,
            reviewing_since=reviewing_since.get(routing.agency_id),
            position=positions.get(routing.agency_id),
            deadline=routing.response_deadline,
            issued_at=routing.issued_at,
        )
        for routing in routings
    ]
    return sorted(states, key=lambda state: not state.is_lead)


def participants_without_position(case) -> list[Agency]:
    """The routed agencies other than the lead that have not recorded a position."""
    return list(
        Agency.objects.filter(routings__case=case)
        .exclude(pk=case.lead_agency_id)
        .exclude(positions__case=case)
        .order_by("acronym")
    )


def developer_positions(case):
    """The positions on the case shared with its developer, once the recommendation is issued."""
    return (
        AgencyPosition.objects.filter(
            case=case,
            marking=PositionMarking.DEVELOPER,
            case__recommendation__issued_at__isnull=False,
        )
        .exclude(stance=AgencyPosition.Stance.NO_RESPONSE)
        .select_related("agency")
        .prefetch_related("amendments")
    )


@dataclass(frozen=True)
class OperatorRecommendation:
    """The part of an issued recommendation marked for the critical-infrastructure operators."""

    outcome: str  # the outcome's label
    text: str
    issued_at: datetime
    agency: str  # the lead agency's acronym: the government is named by agency


def operator_recommendation(case) -> OperatorRecommendation | None:
    """What the operators with access to the case may read of its recommendation: the
    "for operators" part, once issued and if written; else None.

    The caller decides that the person is an operator with access to the case
    (the grant's access helper); this only says what there is to show.
    """
    recommendation = (
        Recommendation.objects.filter(case=case, issued_at__isnull=False)
        .exclude(for_operators="")
        .select_related("case__lead_agency")
        .first()
    )
    if recommendation is None:
        return None
    assert recommendation.issued_at is not None
    lead = recommendation.case.lead_agency
    return OperatorRecommendation(
        outcome=recommendation.get_outcome_display(),
        text=recommendation.for_operators,
        issued_at=recommendation.issued_at,
        agency=lead.acronym if lead else "",
    )
