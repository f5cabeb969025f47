"""Writing the recommendation: the lead or a coordinator drafts, a coordinator issues."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.accounts.selectors import agency_coordinators, developer_people
from portal.audit import events as audit
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import locked_case
from portal.notifications.services import notify
from reviews.models import (
    Assignment,
    InformationRequest,
    Recommendation,
)
from reviews.selectors import active_assignment
from reviews.services.base import (
    ReviewActionRefused,
    coordinator_of_routed_agency,
    section_url,
)

User = get_user_model()


def draft_recommendation(
    *, actor, case_id: int, outcome: str, summary: str, conditions: str = ""
) -> Recommendation:
    summary, conditions = summary.strip(), conditions.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        assignment = active_assignment(actor, case)
        is_lead = assignment is not None and assignment.role == Assignment.Role.LEAD
        if not is_lead:
            coordinator_of_routed_agency(actor, case)
        if case.status not in (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
            raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
        if outcome not in Recommendation.Outcome.values:
            raise ReviewActionRefused("Choose an outcome.")
        if not summary:
            raise ReviewActionRefused("Write a summary.")
        recommendation, created = Recommendation.objects.update_or_create(
            case=case,
            defaults={
                "outcome": outcome,
                "summary": summary,
                "conditions": conditions,
                "drafted_by": actor,
            },
        )
        audit.record(
            "recommendation.drafted",
            actor=actor,
            target=case,
            details={"outcome": outcome, "new": created},
        )
        notify(
            [
                person
                for person in agency_coordinators(case.routings.values("agency_id"))
                if person.pk != actor.pk
            ],
            title=f"A recommendation on {case.number} is drafted, ready to issue",
            case=case,
            url=section_url(case, "recommendation"),
        )
    return recommendation


def issue_recommendation(*, actor, case_id: int) -> Recommendation:
    with transaction.atomic():
        case = locked_case(case_id)
        coordinator_of_routed_agency(actor, case)
        recommendation = Recommendation.objects.filter(case=case).first()
        if recommendation is None:
            raise ReviewActionRefused("Draft the recommendation before issuing it.")
        if recommendation.is_issued:
            raise ReviewActionRefused("The recommendation was already issued.")
        if case.information_requests.filter(status=InformationRequest.Status.OPEN).exists():
            raise ReviewActionRefused(
                "Information requests are open: close or wait for them before issuing."
            )
        recommendation.issued_by = actor
        recommendation.issued_at = timezone.now()
        recommendation.save(update_fields=["issued_by", "issued_at"])
        case_services.mark_recommendation_issued(actor=actor, case_id=case.pk)
        audit.record(
            "recommendation.issued",
            actor=actor,
            target=case,
            details={"outcome": recommendation.outcome},
        )
        notify(
            list(developer_people(case.developer_id))
            + list(agency_coordinators(case.routings.values("agency_id"))),
            title=f"Recommendation issued on {case.number}: {recommendation.get_outcome_display()}",
            body="The framework is voluntary: the recommendation does not block the release.",
            case=case,
            url=reverse("portal:case_detail", args=[case.pk]),
        )
    return recommendation
