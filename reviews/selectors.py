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
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from portal.models import CaseRouting, CaseStatus, Submission
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
    """Cases the reviewer is assigned to (invited, accepted or completed).

    Driven from the reviewer's own assignments, joined once: a person holds at
    most one assignment per case (a partial unique constraint), so the join
    gives one row per case and its columns (due date, status, role) are plain
    columns to sort and filter on, not a subquery per case.
    """
    return (
        Submission.objects.alias(
            mine=FilteredRelation(
                "assignments",
                condition=Q(assignments__reviewer=user, assignments__status__in=Assignment.HOLDING),
            )
        )
        .filter(mine__isnull=False)
        .select_related("developer")
        .annotate(
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
            my_assignment_id=F("mine__pk"),
            my_due=F("mine__due_date"),
            my_status=F("mine__status"),
            my_role=F("mine__role"),
        )
    )


CLOSED = (CaseStatus.RELEASED, CaseStatus.WITHDRAWN)


def _active_here(agency_id: int):
    """Cases with an invited or accepted reviewer of the agency (an indexed scan, hashed once)."""
    return Assignment.objects.filter(agency_id=agency_id, status__in=Assignment.ACTIVE).values(
        "case_id"
    )


def queue_routings(agency_id: int):
    """The agency's queue in order: unassigned first, then soonest due.

    The queue is the agency's routings: routing a case is what gives its
    coordinators the right to see it, and each routing carries a copy of the
    case's status and stored due date, so the list is filtered, sorted, paged
    and counted from one table (index ``routing_queue``). "Assigned or not" is
    one hashed set of the agency's active assignments.
    """
    return (
        CaseRouting.objects.filter(agency_id=agency_id)
        .annotate(
            assigned=ExpressionWrapper(
                Q(case_id__in=_active_here(agency_id)), output_field=BooleanField()
            )
        )
        .order_by("assigned", F("review_due").asc(nulls_last=True), "case_id")
    )


def coordinator_cases(user, case_ids: list[int]) -> list:
    """The cases of one page of the queue, in the order given, with what each row shows.

    The reviewer count and the highest severity this person may read are
    subqueries over the page's cases only.
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
    cases = (
        Submission.objects.filter(pk__in=case_ids, routings__agency_id=agency_id)
        .select_related("developer")
        .annotate(
            reviewer_count=Coalesce(Subquery(per_case, output_field=IntegerField()), Value(0)),
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
        )
    )
    by_pk = {case.pk: case for case in cases}
    return [by_pk[pk] for pk in case_ids if pk in by_pk]


def queue_counts(agency_id: int) -> dict:
    """The agency's open cases at a glance, whatever the filters show: one query.

    Counted over the agency's routings; each flag is a small hashed set
    (short notice and capability jumps have partial indexes of their own).
    """
    flagged = Submission.objects.values("pk")
    waiting = InformationRequest.objects.filter(status=InformationRequest.Status.OPEN)
    return (
        CaseRouting.objects.filter(agency_id=agency_id)
        .exclude(case_status__in=CLOSED)
        .aggregate(
            open=Count("pk"),
            unassigned=Count("pk", filter=~Q(case_id__in=_active_here(agency_id))),
            short_notice=Count("pk", filter=Q(case_id__in=flagged.filter(short_notice=True))),
            capability_jump=Count("pk", filter=Q(case_id__in=flagged.filter(capability_jump=True))),
            waiting_on_developer=Count("pk", filter=Q(case_id__in=waiting.values("case_id"))),
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
