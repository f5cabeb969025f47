"""The joint recommendation's coordination: the lead, its deadline, the participants' positions.

A case's lead agency (``Submission.lead_agency``: the first routed, until its
coordinator hands the lead on) drafts and issues the recommendation. Every
other routed agency participates: its coordinator records a position on the
draft (concur, concur with conditions, dissent), marked for the agencies only
or shared with the developer. Until the recommendation is issued a position
may be recorded again; after it, a change is an amendment with its reason.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import Agency
from portal.accounts.selectors import agency_coordinators, developer_people
from portal.audit import events as audit
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import locked_case
from portal.notifications.services import notify
from reviews.models import (
    STANCES_WITH_TEXT,
    AgencyPosition,
    PositionAmendment,
    PositionMarking,
    Recommendation,
    Stance,
)
from reviews.selectors import participants_without_position
from reviews.services.base import (
    ReviewActionRefused,
    coordinator_of_lead_agency,
    coordinator_of_participant,
    developer_review_url,
    section_url,
)

# The stances a coordinator chooses; "no response" is recorded, never chosen.
CHOSEN_STANCES = (Stance.CONCUR, Stance.CONCUR_WITH_CONDITIONS, Stance.DISSENT)
TEXT_REQUIRED = {
    Stance.CONCUR_WITH_CONDITIONS: "Write the conditions your agency concurs with.",
    Stance.DISSENT: "Write why your agency dissents.",
}


def hand_over_lead(*, actor, case_id: int, agency: Agency, reason: str = ""):
    """The lead agency's coordinator makes another routed agency the lead.

    A position the new lead had recorded is set aside: the lead issues, it
    holds no position. The agency handing the lead on becomes a participant.
    """
    with transaction.atomic():
        case = case_services.hand_over_lead(
            actor=actor, case_id=case_id, agency=agency, reason=reason
        )
        AgencyPosition.objects.filter(case=case, agency=agency).delete()
    return case


def _check_stance(stance: str, text: str, marking: str) -> None:
    if stance not in CHOSEN_STANCES:
        raise ReviewActionRefused("Choose concur, concur with conditions or dissent.")
    if stance in STANCES_WITH_TEXT and not text:
        raise ReviewActionRefused(TEXT_REQUIRED[Stance(stance)])
    if marking not in PositionMarking.values:
        raise ReviewActionRefused("Choose who may read the position.")


def _draft(case) -> Recommendation:
    recommendation = Recommendation.objects.filter(case=case).first()
    if recommendation is None:
        raise ReviewActionRefused(
            "The lead agency has not drafted the recommendation yet: "
            "positions are taken on a draft."
        )
    return recommendation


def set_response_deadline(*, actor, case_id: int, deadline: date | None) -> Recommendation:
    """The lead's coordinator sets (or clears) the date the participants' positions are due."""
    with transaction.atomic():
        case = locked_case(case_id)
        coordinator_of_lead_agency(actor, case)
        recommendation = _draft(case)
        if recommendation.is_issued:
            raise ReviewActionRefused("The recommendation is issued: its deadline is over.")
        if deadline is not None and deadline <= timezone.localdate():
            raise ReviewActionRefused("The response deadline must be after today.")
        recommendation.response_deadline = deadline
        recommendation.save(update_fields=["response_deadline"])
        audit.record(
            "recommendation.deadline_set",
            actor=actor,
            target=case,
            details={"deadline": deadline},
        )
        participants = case.routings.exclude(agency=case.lead_agency).values("agency_id")
        if deadline is not None:
            notify(
                agency_coordinators(participants),
                title=f"Your agency's position on {case.number} is due {deadline:%B %-d, %Y}",
                body=(
                    "The lead agency asks for your agency's position on its draft "
                    "recommendation: concur, concur with conditions, or dissent. After the "
                    "deadline it may issue without it, recorded as no response."
                ),
                case=case,
                url=section_url(case, "recommendation"),
            )
    return recommendation


def record_position(
    *, actor, case_id: int, stance: str, text: str = "", marking: str = PositionMarking.INTERAGENCY
) -> AgencyPosition:
    """A participant's coordinator records (or records again) its position, before issue."""
    text = text.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        agency_id = coordinator_of_participant(actor, case).agency_id
        assert agency_id is not None  # an agency's coordinator
        recommendation = _draft(case)
        if recommendation.is_issued:
            raise ReviewActionRefused(
                "The recommendation is issued: a change to your position is an amendment, "
                "with its reason."
            )
        _check_stance(stance, text, marking)
        position, created = AgencyPosition.objects.update_or_create(
            case=case,
            agency_id=agency_id,
            defaults={
                "stance": stance,
                "text": text,
                "marking": marking,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        audit.record(
            "position.recorded",
            actor=actor,
            target=case,
            details={
                "agency": position.agency.acronym,
                "stance": stance,
                "marking": marking,
                "new": created,
            },
        )
        notify(
            [
                p
                for p in agency_coordinators([case.lead_agency_id] if case.lead_agency_id else [])
                if p.pk != actor.pk
            ],
            title=f"{position.agency.acronym}: {position.get_stance_display().lower()} "
            f"on {case.number}",
            case=case,
            url=section_url(case, "recommendation"),
        )
    return position


def amend_position(
    *, actor, case_id: int, stance: str, text: str, marking: str, reason: str
) -> AgencyPosition:
    """After issue, a participant changes its position: an amendment, with its reason.

    Everyone who could read the original is told: the coordinators of every
    routed agency, and the developer when the position was shared with it. A
    position shared with the developer stays shared: it has been read.
    """
    text, reason = text.strip(), reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        agency_id = coordinator_of_participant(actor, case).agency_id
        assert agency_id is not None  # an agency's coordinator
        recommendation = _draft(case)
        if not recommendation.is_issued:
            raise ReviewActionRefused(
                "The recommendation is not issued yet: record your position instead."
            )
        _check_stance(stance, text, marking)
        if not reason:
            raise ReviewActionRefused("Give the reason for the amendment.")
        now = timezone.now()
        position = AgencyPosition.objects.filter(case=case, agency_id=agency_id).first()
        if position is None:
            # Routed after the recommendation was issued: the first position is an amendment too.
            position = AgencyPosition(
                case=case,
                agency_id=agency_id,
                stance=Stance.NO_RESPONSE,
                marking=PositionMarking.INTERAGENCY,
                recorded_at=now,
            )
        elif position.marking == PositionMarking.DEVELOPER and marking != PositionMarking.DEVELOPER:
            raise ReviewActionRefused(
                "The position was shared with the developer, who has read it: an amendment "
                "stays shared with the developer."
            )
        was_shared = position.marking == PositionMarking.DEVELOPER
        before = (position.stance, position.text, position.marking)
        position.stance, position.text, position.marking = stance, text, marking
        position.recorded_by, position.amended_at = actor, now
        position.save()
        PositionAmendment.objects.create(
            position=position,
            stance_before=before[0],
            text_before=before[1],
            marking_before=before[2],
            reason=reason,
            amended_by=actor,
            amended_at=now,
        )
        agency = position.agency.acronym
        audit.record(
            "position.amended",
            actor=actor,
            target=case,
            details={
                "agency": agency,
                "from": before[0],
                "to": stance,
                "marking": marking,
                "reason": reason,
            },
        )
        title = f"{agency} amended its position on {case.number}: {position.get_stance_display()}"
        notify(
            [p for p in agency_coordinators(case.routings.values("agency_id")) if p.pk != actor.pk],
            title=title,
            body=f"Reason: {reason}",
            case=case,
            url=section_url(case, "recommendation"),
        )
        if was_shared or marking == PositionMarking.DEVELOPER:
            notify(
                developer_people(case.developer_id),
                title=title,
                case=case,
                url=developer_review_url(case),
            )
    return position


def record_silent_participants(*, actor, case, recommendation: Recommendation) -> list[str]:
    """At issue after the deadline: each participant without a position is recorded as
    "no response", with its audit event. Runs inside the issue's transaction."""
    silent = participants_without_position(case)
    now = timezone.now()
    for agency in silent:
        AgencyPosition.objects.create(
            case=case,
            agency=agency,
            stance=Stance.NO_RESPONSE,
            marking=PositionMarking.INTERAGENCY,
            recorded_at=now,
        )
        audit.record(
            "position.no_response",
            actor=actor,
            target=case,
            details={"agency": agency.acronym, "deadline": recommendation.response_deadline},
        )
    return [agency.acronym for agency in silent]
