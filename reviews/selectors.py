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
    """Cases routed to the coordinator's agency: unassigned first, then soonest due."""
    agency_id = user.membership.agency_id
    active = Q(assignments__agency_id=agency_id, assignments__status__in=Assignment.ACTIVE)
    return (
        Submission.objects.visible_to(user)
        .filter(routings__agency_id=agency_id)
        .select_related("developer")
        .annotate(
            reviewer_count=Count("assignments", filter=active, distinct=True),
            has_open_request=Exists(_open_requests()),
            top_severity=_highest_visible_severity(user),
            # Unassigned or not: the number of reviewers does not rank the assigned cases.
            assigned=Case(When(reviewer_count=0, then=Value(0)), default=Value(1)),
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
