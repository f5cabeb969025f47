"""Reading reviewer work: the queues, each one permission-filtered queryset.

Counts and the highest severity are annotated in SQL, and the severity only
counts findings the person may read (their marking), so a queue never hints at
a finding outside it.
"""

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
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


def coordinator_queue(user):
    """Cases routed to the coordinator's agency: unassigned first, then soonest due.

    The reviewer count is a correlated subquery, not a join with GROUP BY: the
    sort needs only "assigned or not" (an indexed EXISTS per case), and the
    per-row subqueries (count, severity) run for the rows of one page only.
    """
    agency_id = user.membership.agency_id
    active_here = Assignment.objects.filter(
        case=OuterRef("pk"), agency_id=agency_id, status__in=Assignment.ACTIVE
    )
    reviewer_count = (
        active_here.order_by().values("case").annotate(count=Count("pk")).values("count")
    )
    return (
        Submission.objects.visible_to(user)
        .filter(routings__agency_id=agency_id)
        .select_related("developer")
        .annotate(
            reviewer_count=Coalesce(
                Subquery(reviewer_count, output_field=IntegerField()), Value(0)
            ),
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
            # Unassigned or not: the number of reviewers does not rank the assigned cases.
            assigned=Case(When(Exists(active_here), then=Value(1)), default=Value(0)),
        )
        .order_by("assigned", F("review_due").asc(nulls_last=True), "pk")
    )


def reviewer_loads(agency_id: int):
    """Active reviewers of an agency with their open assignment counts (one query).

    Open work is an invited or accepted assignment on a case still under review:
    a withdrawn or released case no longer weighs on anyone.
    """
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__agency_id=agency_id,
            membership__role="reviewer",
        )
        .annotate(
            open_load=Count(
                "assignments",
                filter=Q(
                    assignments__status__in=Assignment.ACTIVE,
                    assignments__case__status__in=UNDER_REVIEW,
                ),
                distinct=True,
            )
        )
        .order_by("last_name", "first_name", "username")
    )
