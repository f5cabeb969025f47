"""Following cases: a withdrawn or released case takes no more answers, so its open
requests close.

The routings' count of each agency's active reviewers (``CaseRouting.reviewers``)
is kept by database triggers (``reviews/migrations/0002_routing_reviewers_triggers.py``),
not here: it follows every write of an assignment, signals or not.

The cached counts of an agency's open work (``reviews.loads``: the reviewers'
loads, the queue's counts) are forgotten by every write that can change them:
a case's status or a flag the queue counts saved, a case deleted, a routing
saved or deleted, an information request saved or deleted.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.audit import events as audit
from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.core.hooks import case_released, case_withdrawn, cases_updated
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


# What the queue's counts and the loads read of a case; the routings copy the status.
COUNTED_CASE_FIELDS = frozenset({"status", "short_notice", "capability_jump"})


@receiver(post_save, sender=Submission)
def forget_loads_on_status(sender, instance, created, update_fields=None, **kwargs):
    # A new case has no routings or assignments yet; a save that names its fields
    # may leave the counted ones alone.
    if not created and (update_fields is None or COUNTED_CASE_FIELDS & set(update_fields)):
        loads.forget_on_commit()


@receiver(post_delete, sender=Submission)
def forget_loads_on_delete(sender, instance, **kwargs):
    loads.forget_on_commit()


@receiver(post_save, sender=CaseRouting)
@receiver(post_delete, sender=CaseRouting)
@receiver(post_save, sender=InformationRequest)
@receiver(post_delete, sender=InformationRequest)
def forget_counts_on_routing_or_request(sender, instance, **kwargs):
    # A case entering or leaving an agency's queue; a case starting or stopping
    # to wait on its developer. Deletes by cascade send this too.
    loads.forget_on_commit()


@receiver(cases_updated)
def forget_counts_on_bulk_update(sender, fields, **kwargs):
    # A QuerySet.update of cases (an admin action): the routings' triggers copy the
    # status, and the queue counts the flags.
    if COUNTED_CASE_FIELDS & fields:
        loads.forget_on_commit()
