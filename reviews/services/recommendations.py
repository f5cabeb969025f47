"""Writing the recommendation.

The case's lead agency drafts the joint recommendation (its lead reviewer or
its coordinator) and its coordinator issues it, once every participating
agency has a position or the response deadline has passed
(``reviews.services.positions``).
"""

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
from reviews.selectors import active_assignment, participants_without_position
from reviews.services.base import (
    ReviewActionRefused,
    coordinator_of_lead_agency,
    section_url,
    tell_operator_readers,
)
from reviews.services.positions import record_silent_participants

User = get_user_model()

OPERATOR_RECOMMENDATION_NOTICE = "operator_recommendation"
DRAFTERS_ONLY = "Only the lead agency's lead reviewer or coordinator can draft the recommendation."


def draft_recommendation(
    *,
    actor,
    case_id: int,
    outcome: str,
    summary: str,
    conditions: str = "",
    for_operators: str = "",
) -> Recommendation:
    summary, conditions, for_operators = summary.strip(), conditions.strip(), for_operators.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        assignment = active_assignment(actor, case)
        is_lead = (
            assignment is not None
            and assignment.role == Assignment.Role.LEAD
            and assignment.agency_id == case.lead_agency_id
        )
        if not is_lead:
            try:
                coordinator_of_lead_agency(actor, case)
            except ReviewActionRefused:
                raise ReviewActionRefused(DRAFTERS_ONLY) from None
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
                "for_operators": for_operators,
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
        coordinator_of_lead_agency(actor, case)
        recommendation = Recommendation.objects.filter(case=case).first()
        if recommendation is None:
            raise ReviewActionRefused("Draft the recommendation before issuing it.")
        if recommendation.is_issued:
            raise ReviewActionRefused("The recommendation was already issued.")
        if case.information_requests.filter(status=InformationRequest.Status.OPEN).exists():
            raise ReviewActionRefused(
                "Information requests are open: close or wait for them before issuing."
            )
        waiting = participants_without_position(case)
        deadline = recommendation.response_deadline
        deadline_passed = deadline is not None and deadline < timezone.localdate()
        if waiting and not deadline_passed:
            names = ", ".join(agency.acronym for agency in waiting)
            raise ReviewActionRefused(
                f"Waiting for the position of {names}. The recommendation can be issued once "
                "every participating agency has recorded a position"
                + (
                    f", or after the response deadline ({deadline:%B %-d, %Y})."
                    if deadline
                    else ", or after a response deadline you set has passed."
                )
            )
        no_response = record_silent_participants(
            actor=actor, case=case, recommendation=recommendation
        )
        recommendation.issued_by = actor
        recommendation.issued_at = timezone.now()
        recommendation.save(update_fields=["issued_by", "issued_at"])
        case_services.mark_recommendation_issued(actor=actor, case_id=case.pk)
        event = audit.record(
            "recommendation.issued",
            actor=actor,
            target=case,
            details={"outcome": recommendation.outcome, "no_response": no_response},
        )
        notify(
            list(developer_people(case.developer_id))
            + list(agency_coordinators(case.routings.values("agency_id"))),
            title=f"Recommendation issued on {case.number}: {recommendation.get_outcome_display()}",
            # Named by its agency: toward the developer the government is never a person.
            body=f"Issued by {actor.membership.agency.acronym}. The framework is voluntary: "
            "the recommendation does not block the release.",
            case=case,
            url=reverse("portal:case_detail", args=[case.pk]),
        )
        if recommendation.for_operators:
            tell_operators_of_recommendation(case, event)
    return recommendation


def tell_operators_of_recommendation(case, event) -> int:
    """Tell each operator organization reading the case that the recommendation has a
    part for operators, once per organization (``tell_operator_readers``, under the
    issue's audit event). Named by the lead agency, never by person; the text itself
    is on the organization's grant page. Returns how many organizations were told."""
    agency = case.lead_agency.acronym if case.lead_agency else "The reviewing agencies"
    return tell_operator_readers(
        case,
        event,
        kind=OPERATOR_RECOMMENDATION_NOTICE,
        subject=case,
        title=f"{agency} issued its recommendation on {case.title}, with a part for operators",
        template="reviews/email/operator_recommendation.txt",
        context={"agency": agency, "case": case},
    )
