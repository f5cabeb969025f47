"""Following cases: a withdrawn or released case takes no more answers, so its open
requests close.

The routings' count of each agency's active reviewers (``CaseRouting.reviewers``)
is kept by database triggers (``reviews/migrations/0002_routing_reviewers_triggers.py``),
not here: it follows every write of an assignment, signals or not.

A case's status decides whether its assignments weigh on their reviewers: a
status saved or a case deleted forgets the cached loads (``reviews.loads``).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.audit import events as audit
from portal.cases.models import CaseStatus, Submission
from portal.core.hooks import case_released, case_withdrawn
from reviews import loads
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


@receiver(post_save, sender=Submission)
def forget_loads_on_status(sender, instance, created, update_fields=None, **kwargs):
    # A new case has no assignments yet; a save that names its fields may leave the status alone.
    if not created and (update_fields is None or "status" in update_fields):
        loads.forget_on_commit()


@receiver(post_delete, sender=Submission)
def forget_loads_on_delete(sender, instance, **kwargs):
    loads.forget_on_commit()
