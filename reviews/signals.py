"""Following cases and keeping the agencies' queues.

- A withdrawn case takes no more answers, so its open requests close.
- Each routing counts its agency's invited and accepted reviewers on the case
  (``CaseRouting.reviewers``), for the queue to sort and count on: every save
  or deletion of an assignment counts them again, in the same transaction.
"""

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.audit import events as audit
from portal.cases.models import CaseRouting
from portal.core.hooks import case_withdrawn
from reviews.models import Assignment, InformationRequest


def active_reviewers():
    """Per routing (``OuterRef``): its agency's invited or accepted reviewers on the case."""
    return Coalesce(
        Subquery(
            Assignment.objects.filter(
                case_id=OuterRef("case_id"),
                agency_id=OuterRef("agency_id"),
                status__in=Assignment.ACTIVE,
            )
            .order_by()
            .values("case_id")
            .annotate(count=Count("pk"))
            .values("count")
        ),
        Value(0),
    )


def recount_reviewers(routings) -> int:
    """Count again the active reviewers of ``routings`` (a CaseRouting queryset)."""
    return routings.update(reviewers=active_reviewers())


@receiver(post_save, sender=Assignment)
@receiver(post_delete, sender=Assignment)
def assignment_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    recount_reviewers(
        CaseRouting.objects.filter(case_id=instance.case_id, agency_id=instance.agency_id)
    )


@receiver(case_withdrawn)
def close_open_requests(sender, case, actor, **kwargs):
    open_requests = list(
        InformationRequest.objects.filter(case=case, status=InformationRequest.Status.OPEN)
    )
    for request in open_requests:
        request.status = InformationRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
        audit.record(
            "request.withdrawn",
            actor=actor,
            target=case,
            details={"request": request.pk, "reason": "case withdrawn"},
        )
