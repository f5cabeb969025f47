"""Following cases: a withdrawn case takes no more answers, so its open requests close."""

from django.dispatch import receiver

from portal import audit
from portal.services.cases import case_withdrawn
from reviews.models import InformationRequest


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
