"""Following cases: a withdrawn or released case takes no more answers, so its open
requests close.

The routings' count of each agency's active reviewers (``CaseRouting.reviewers``)
is kept by database triggers (``reviews/migrations/0002_routing_reviewers_triggers.py``),
not here: it follows every write of an assignment, signals or not.
"""

from django.dispatch import receiver

from portal.audit import events as audit
from portal.cases.models import CaseStatus
from portal.core.hooks import case_released, case_withdrawn
from reviews.models import InformationRequest


@receiver(case_withdrawn)
@receiver(case_released)
def close_open_requests(sender, case, actor, **kwargs):
    why = "case released" if case.status == CaseStatus.RELEASED else "case withdrawn"
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
            details={"request": request.pk, "reason": why},
        )
