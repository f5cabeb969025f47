"""Reading reviewer work: the queues, each one permission-filtered queryset.

Counts and the highest severity are annotated in SQL, and the severity only
counts findings the person may read (their marking), so a queue never hints at
a finding outside it.
"""

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from portal.models import CaseStatus, Submission
from reviews.models import Assignment, Finding, InformationRequest

UNDER_REVIEW = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


def _open_requests():
    return InformationRequest.objects.filter(
        case=OuterRef("pk"), status=InformationRequest.Status.OPEN
    )


def _highest_visible_severity(user):
    visible = (
        Finding.objects.visible_to(user)
        .filter(case=OuterRef("pk"))
        .exclude(status=Finding.Status.WITHDRAWN)
        .order_by()
        .values("case")
        .annotate(top=Max("severity"))
        .values("top")
    )
    return Coalesce(Subquery(visible, output_field=IntegerField()), Value(0))


def reviewer_queue(user):
    """Cases the reviewer is assigned to (invited, accepted or completed)."""
    mine = Assignment.objects.filter(
        case=OuterRef("pk"), reviewer=user, status__in=Assignment.HOLDING
    )
    return (
        Submission.objects.filter(Exists(mine))
        .select_related("developer")
        .annotate(
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
            my_due=Subquery(mine.values("due_date")[:1]),
            my_status=Subquery(mine.values("status")[:1]),
            my_role=Subquery(mine.values("role")[:1]),
        )
    )


def _routed_to(agency_id: int):
    """Cases routed to an agency: what its coordinators may see (the routing grants it)."""
    return Submission.objects.filter(routings__agency_id=agency_id)


def _active_here(agency_id: int):
    """Cases with an invited or accepted reviewer of the agency (an indexed scan, hashed once)."""
    return Assignment.objects.filter(agency_id=agency_id, status__in=Assignment.ACTIVE).values(
        "case_id"
    )


def coordinator_queue(user):
    """Cases routed to the coordinator's agency: unassigned first, then soonest due.

    The list is the agency's routings, joined once: routing a case is what gives
    its coordinators the right to see it. "Assigned or not" is one hashed set of
    the agency's active assignments; the reviewer count and the severity are
    correlated subqueries that PostgreSQL evaluates for the rows of one page only.
    """
    agency_id = user.membership.agency_id
    per_case = (
        Assignment.objects.filter(
            case=OuterRef("pk"), agency_id=agency_id, status__in=Assignment.ACTIVE
        )
        .order_by()
        .values("case")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        _routed_to(agency_id)
        .select_related("developer")
        .annotate(
            reviewer_count=Coalesce(Subquery(per_case, output_field=IntegerField()), Value(0)),
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
            assigned=ExpressionWrapper(
                Q(pk__in=_active_here(agency_id)), output_field=BooleanField()
            ),
        )
        .order_by("assigned", F("review_due").asc(nulls_last=True), "pk")
    )


def queue_counts(agency_id: int) -> dict:
    """The agency's open cases at a glance, whatever the filters show: one query."""
    assigned = Q(pk__in=_active_here(agency_id))
    waiting = Q(
        pk__in=InformationRequest.objects.filter(status=InformationRequest.Status.OPEN).values(
            "case_id"
        )
    )
    return (
        _routed_to(agency_id)
        .open()
        .aggregate(
            open=Count("pk"),
            unassigned=Count("pk", filter=~assigned),
            short_notice=Count("pk", filter=Q(short_notice=True)),
            capability_jump=Count("pk", filter=Q(capability_jump=True)),
            waiting_on_developer=Count("pk", filter=waiting),
        )
    )


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
            case__status__in=UNDER_REVIEW,
        )
        .order_by()
        .values("reviewer_id")
        .annotate(count=Count("pk"))
        .values_list("reviewer_id", "count")
    )
    return dict(rows)


def reviewer_loads(agency_id: int) -> list:
    """Active reviewers of an agency, each with ``open_load`` set (two queries)."""
    loads = open_loads(agency_id)
    reviewers = list(agency_reviewers(agency_id))
    for person in reviewers:
        person.open_load = loads.get(person.pk, 0)
    return reviewers
