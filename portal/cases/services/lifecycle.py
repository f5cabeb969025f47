"""Writing to cases: creating drafts and moving cases through their lifecycle.

Every function takes the acting person, checks that they may act, runs in one
transaction with the case row locked, writes the audit event, and queues
side effects (emails) on commit. A refused action raises ``CaseActionRefused``
with a message for the person and changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Agency, Membership
from portal.accounts.permissions import grant, revoke
from portal.accounts.selectors import agency_coordinators
from portal.audit import events as audit
from portal.cases.access import (
    CHANGE_CASE,
    REVIEW_CASE,
    VIEW_CASE,
    is_developer_member,
    is_routed_coordinator,
    routed_agency_membership,
)
from portal.cases.models import (
    UNDER_REVIEW,
    CaseNumberCounter,
    CaseRouting,
    CaseStatus,
    ClockEvent,
    ReviewClock,
    Submission,
)
from portal.core.hooks import (
    case_released,
    case_routed,
    case_submitted,
    case_withdrawn,
)
from portal.core.refusals import ActionRefused
from portal.notifications.services import notify

EDITABLE_FIELDS = (
    "model_name",
    "model_version",
    "description",
    "planned_release_date",
    "access_mode",
    "deployment_notes",
    "contact_person",
)
REQUIRED_TO_SUBMIT = {
    "model_name": "model name",
    "model_version": "model version",
    "description": "description",
    "planned_release_date": "planned public release date",
    "access_mode": "access mode",
    "contact_person": "contact person",
}


# Other apps follow a case without portal knowing them: access shares the
# case's grants with a newly routed agency; reviews closes open information
# requests when a case is withdrawn. Receivers run inside the transaction.


class CaseActionRefused(ActionRefused):
    """The action on a case is not allowed now; the message says why, for the person."""


def locked_case(case_id: int) -> Submission:
    """The case, its row locked until the transaction ends (the services' first step)."""
    return Submission.objects.select_for_update().get(pk=case_id)


def require_developer(actor, case: Submission) -> None:
    """Refuses anyone but a submitter or organization admin of the case's developer."""
    if not is_developer_member(actor, case):
        raise CaseActionRefused("Only the developer’s submitters can do this.")


def _refresh_clock(case: Submission) -> ReviewClock:
    """Store the due date derived from the ledger, for lists to sort and filter on.

    While a pause is open the stored date leaves the open pause out; pages show
    the live date from the ledger.
    """
    clock = ReviewClock.from_events(list(case.clock_events.all()))
    stored = ReviewClock.from_events(
        list(case.clock_events.all()), today=clock.paused_since or timezone.localdate()
    )
    case.review_due = stored.due
    case.clock_paused = clock.paused
    case.save(update_fields=["review_due", "clock_paused", "updated_at"])
    return clock


def create_draft(*, actor, **fields) -> Submission:
    membership = getattr(actor, "membership", None)
    if membership is None or membership.role not in Membership.DEVELOPER_ROLES:
        raise CaseActionRefused("Only an AI developer’s submitters can start a case.")
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        # Status, number and the clock belong to the lifecycle, never to a form.
        raise ValueError(f"Not editable on a draft: {', '.join(unknown)}")
    case = Submission(developer=membership.organization, created_by=actor, **fields)
    _check_contact(case)
    case.full_clean()
    with transaction.atomic():
        case.save()
        group = membership.organization.group
        grant(VIEW_CASE, group, case)
        grant(CHANGE_CASE, group, case)
        audit.record("case.created", actor=actor, target=case, details={"model": case.title})
    return case


def update_draft(*, actor, case_id: int, **fields) -> Submission:
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if not case.is_draft:
            raise CaseActionRefused(
                f"This case is {case.get_status_display().lower()}; its details can change "
                "only while it is a draft. Upload a new artifact version instead."
            )
        changed = {}
        for name, value in fields.items():
            if name not in EDITABLE_FIELDS:
                raise ValueError(f"{name} is not an editable field")
            if getattr(case, name) != value:
                changed[name] = value
                setattr(case, name, value)
        _check_contact(case)
        case.full_clean()
        if changed:
            case.save()
            audit.record(
                "case.edited",
                actor=actor,
                target=case,
                details={"fields": sorted(changed)},
            )
    return case


def _check_contact(case: Submission) -> None:
    contact = case.contact_person
    if contact is None:
        return
    membership = Membership.objects.filter(user=contact).first()
    if membership is None or membership.organization_id != case.developer_id:
        raise ValidationError({"contact_person": "The contact must be a person of the developer."})


@dataclass(frozen=True)
class NoticeCheck:
    """Whether a planned release gives the full notice period."""

    notice_deadline: date
    short_notice: bool

    @classmethod
    def for_release(cls, planned_release: date, today: date | None = None) -> "NoticeCheck":
        today = today or timezone.localdate()
        deadline = Submission().notice_deadline(today)
        return cls(notice_deadline=deadline, short_notice=planned_release < deadline)


def submit_case(*, actor, case_id: int, short_notice_reason: str = "") -> Submission:
    short_notice_reason = short_notice_reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if not case.is_draft:
            raise CaseActionRefused(f"This case is already {case.get_status_display().lower()}.")
        missing = [label for name, label in REQUIRED_TO_SUBMIT.items() if not getattr(case, name)]
        if missing:
            raise CaseActionRefused("Fill in before submitting: " + ", ".join(missing) + ".")
        if not case.artifacts.exists():
            raise CaseActionRefused("Upload at least one artifact (for example the model card).")
        today = timezone.localdate()
        assert case.planned_release_date is not None  # in REQUIRED_TO_SUBMIT, checked above
        if case.planned_release_date < today:
            raise CaseActionRefused("The planned public release date is in the past.")
        notice = NoticeCheck.for_release(case.planned_release_date, today)
        if notice.short_notice and not short_notice_reason:
            raise CaseActionRefused(
                f"The planned release is before {notice.notice_deadline:%B %-d, %Y}, "
                f"less than {settings.REVIEW_NOTICE_DAYS} days away: "
                "give a reason for the short notice."
            )
        agencies = list(
            Agency.objects.active().filter(acronym__in=settings.DEFAULT_ROUTING_AGENCIES)
        )
        if not agencies:
            raise CaseActionRefused(
                "No reviewing agency is configured to receive cases; "
                "contact the portal’s operators."
            )

        now = timezone.now()
        case.number = CaseNumberCounter.next_number(today.year)
        case.status = CaseStatus.SUBMITTED
        case.submitted_at = now
        case.short_notice = notice.short_notice
        case.short_notice_reason = short_notice_reason if notice.short_notice else ""
        case.save()
        ClockEvent.objects.create(
            case=case,
            kind=ClockEvent.Kind.STARTED,
            at=now,
            days=settings.REVIEW_NOTICE_DAYS,
            actor=actor,
        )
        _refresh_clock(case)
        revoke(CHANGE_CASE, case.developer.group, case)
        audit.record(
            "case.submitted",
            actor=actor,
            target=case,
            details={
                "number": case.number,
                "short_notice": case.short_notice,
                "review_due": case.review_due,
            },
        )
        for agency in agencies:
            _route(case, agency, actor=actor)
        # After routing, so a jump alert reaches the coordinators of every agency on the case.
        case_submitted.send(sender=Submission, case=case, actor=actor)
    return case


def _route(case: Submission, agency: Agency, *, actor) -> None:
    CaseRouting.objects.create(case=case, agency=agency, routed_at=timezone.now(), routed_by=actor)
    if case.lead_agency_id is None:
        # The first agency a case is routed to leads its review.
        case.lead_agency = agency
        case.save(update_fields=["lead_agency", "updated_at"])
    # The agency's coordinators see the case; its reviewers only once assigned.
    grant(VIEW_CASE, agency.coordinators_group, case)
    audit.record("case.routed", actor=actor, target=case, details={"agency": agency.acronym})
    case_routed.send(sender=Submission, case=case, agency=agency, actor=actor)
    flag = " (short notice)" if case.short_notice else ""
    notify(
        agency_coordinators([agency.pk]),
        title=f"New case {case.number}{flag}: {case.title}",
        body=(
            f"{case.developer} submitted {case.title} for review. "
            f"Planned public release: {case.planned_release_date:%B %-d, %Y}. "
            f"Review due: {case.review_due:%B %-d, %Y}."
        ),
        case=case,
        url=reverse("portal:case_detail", args=[case.pk]),
    )


def route_case(*, actor, case_id: int, agency: Agency) -> Submission:
    """A coordinator of an agency already on the case sends it to another agency too."""
    with transaction.atomic():
        case = locked_case(case_id)
        if not is_routed_coordinator(actor, case):
            raise CaseActionRefused("Only a coordinator of an agency on the case can route it.")
        if case.is_draft or case.is_closed:
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "only a case under review can be routed."
            )
        if not agency.active:
            raise CaseActionRefused(f"{agency} does not take cases now.")
        if case.routings.filter(agency=agency).exists():
            raise CaseActionRefused(f"The case is already routed to {agency}.")
        _route(case, agency, actor=actor)
    return case


def hand_over_lead(*, actor, case_id: int, agency: Agency, reason: str = "") -> Submission:
    """The lead agency's coordinator makes another routed agency the case's lead.

    The lead drafts and issues the recommendation (reviews); once the case's
    recommendation is issued the lead no longer changes.
    """
    reason = reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        membership = routed_agency_membership(actor, case)
        if (
            membership is None
            or membership.role != Membership.Role.COORDINATOR
            or membership.agency_id != case.lead_agency_id
        ):
            raise CaseActionRefused("Only a coordinator of the lead agency can hand the lead on.")
        if case.status not in (
            CaseStatus.SUBMITTED,
            CaseStatus.IN_REVIEW,
            CaseStatus.INFO_REQUESTED,
        ):
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "the lead changes only while the review is under way."
            )
        if agency.pk == case.lead_agency_id:
            raise CaseActionRefused(f"{agency} already leads the review.")
        if not case.routings.filter(agency=agency).exists():
            raise CaseActionRefused(f"The case is not routed to {agency}: route it there first.")
        previous = case.lead_agency
        case.lead_agency = agency
        case.save(update_fields=["lead_agency", "updated_at"])
        audit.record(
            "case.lead_handed_over",
            actor=actor,
            target=case,
            details={
                "from": previous.acronym if previous else None,
                "to": agency.acronym,
                "reason": reason,
            },
        )
        notify(
            agency_coordinators([agency.pk]),
            title=f"{agency.acronym} now leads the review of {case.number}",
            body=(
                f"{previous.acronym if previous else 'The former lead'} handed the lead to your "
                "agency: your agency drafts and issues the joint recommendation."
                + (f" Reason: {reason}" if reason else "")
            ),
            case=case,
            url=reverse("portal:case_detail", args=[case.pk]),
        )
    return case


def withdraw_case(*, actor, case_id: int, reason: str) -> Submission:
    reason = reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if case.is_closed:
            raise CaseActionRefused(f"This case is already {case.get_status_display().lower()}.")
        if not reason:
            raise CaseActionRefused("Give a reason for withdrawing the case.")
        previous = case.status
        case.status = CaseStatus.WITHDRAWN
        case.withdrawn_reason = reason
        case.save(update_fields=["status", "withdrawn_reason", "updated_at"])
        if case.clock_paused:
            # The case is over: close the open pause so the ledger ends settled.
            ClockEvent.objects.create(
                case=case,
                kind=ClockEvent.Kind.RESUMED,
                at=timezone.now(),
                actor=actor,
                reason="Case withdrawn",
            )
            _refresh_clock(case)
        case_withdrawn.send(sender=Submission, case=case, actor=actor)
        revoke(CHANGE_CASE, case.developer.group, case)
        audit.record(
            "case.withdrawn", actor=actor, target=case, details={"from": previous, "reason": reason}
        )
        if previous != CaseStatus.DRAFT:
            notify_agencies(case, f"Case {case.number} was withdrawn by the developer", reason)
    return case


def notify_agencies(case: Submission, title: str, body: str = "") -> None:
    notify(
        agency_coordinators(case.routings.values("agency_id")),
        title=title,
        body=body,
        case=case,
        url=reverse("portal:case_detail", args=[case.pk]),
    )


def start_review(*, actor, case_id: int) -> Submission:
    with transaction.atomic():
        case = locked_case(case_id)
        # A coordinator starts it, or it starts when the first reviewer accepts.
        if not (is_routed_coordinator(actor, case) or actor.has_perm(REVIEW_CASE, case)):
            raise CaseActionRefused(
                "Only a coordinator of an agency on the case can start the review."
            )
        _move(
            case,
            CaseStatus.SUBMITTED,
            CaseStatus.IN_REVIEW,
            actor=actor,
            action="case.review_started",
        )
    return case


def pause_for_information(*, actor, case_id: int, reason: str = "") -> Submission:
    """An information request is open: the case waits and the clock stops."""
    with transaction.atomic():
        case = locked_case(case_id)
        if routed_agency_membership(actor, case) is None:
            raise CaseActionRefused(
                "Only the reviewing agencies can ask the developer for information."
            )
        _move(
            case,
            CaseStatus.IN_REVIEW,
            CaseStatus.INFO_REQUESTED,
            actor=actor,
            action="case.clock_paused",
        )
        ClockEvent.objects.create(
            case=case,
            kind=ClockEvent.Kind.PAUSED,
            at=timezone.now(),
            actor=actor,
            reason=reason[:300],
        )
        _refresh_clock(case)
    return case


def resume_review(*, actor, case_id: int, reason: str = "") -> Submission:
    """The last open information request is answered or closed: the clock runs again."""
    with transaction.atomic():
        case = locked_case(case_id)
        if routed_agency_membership(actor, case) is None and not is_developer_member(actor, case):
            raise CaseActionRefused(
                "Only the reviewing agencies or the developer can resume the review."
            )
        _move(
            case,
            CaseStatus.INFO_REQUESTED,
            CaseStatus.IN_REVIEW,
            actor=actor,
            action="case.clock_resumed",
        )
        ClockEvent.objects.create(
            case=case,
            kind=ClockEvent.Kind.RESUMED,
            at=timezone.now(),
            actor=actor,
            reason=reason[:300],
        )
        _refresh_clock(case)
    return case


def extend_review(*, actor, case_id: int, days: int, reason: str) -> Submission:
    reason = reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        if not is_routed_coordinator(actor, case):
            raise CaseActionRefused(
                "Only a coordinator of an agency on the case can extend the review."
            )
        if case.is_draft or case.is_closed or case.status == CaseStatus.RECOMMENDATION_ISSUED:
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "only a review in progress can be extended."
            )
        if not 1 <= days <= 90:
            raise CaseActionRefused("An extension is 1 to 90 days.")
        if not reason:
            raise CaseActionRefused("Give a reason for the extension.")
        ClockEvent.objects.create(
            case=case,
            kind=ClockEvent.Kind.EXTENDED,
            at=timezone.now(),
            days=days,
            actor=actor,
            reason=reason[:300],
        )
        _refresh_clock(case)
        audit.record(
            "case.extended", actor=actor, target=case, details={"days": days, "reason": reason}
        )
    return case


def mark_recommendation_issued(*, actor, case_id: int) -> Submission:
    with transaction.atomic():
        case = locked_case(case_id)
        if not is_routed_coordinator(actor, case):
            raise CaseActionRefused(
                "Only a coordinator of an agency on the case can issue the recommendation."
            )
        _move(
            case,
            CaseStatus.IN_REVIEW,
            CaseStatus.RECOMMENDATION_ISSUED,
            actor=actor,
            action="case.recommendation_issued",
        )
        case.recommendation_issued_on = timezone.localdate()
        case.save(update_fields=["recommendation_issued_on", "updated_at"])
    return case


# A developer may release whenever it chooses (the framework is voluntary): a
# case under review can be marked released too, and is then flagged as released
# before the recommendation.
RELEASABLE = (*UNDER_REVIEW, CaseStatus.RECOMMENDATION_ISSUED)


def mark_released(*, actor, case_id: int, released_on: date) -> Submission:
    """The model became public on ``released_on``: today or earlier, not before submission.

    Open grants end at that day (``access`` receives ``case_released``); a
    release before the recommendation was issued is flagged in every queue.
    """
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if case.status not in RELEASABLE:
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "only a submitted case can be marked as released."
            )
        assert case.submitted_at is not None  # every submitted case has its moment
        submitted_on = timezone.localdate(case.submitted_at)
        if released_on > timezone.localdate():
            raise CaseActionRefused(
                f"{released_on:%B %-d, %Y} is in the future. Mark the case as released once "
                "the model is public; to report a new plan, change the planned release date."
            )
        if released_on < submitted_on:
            raise CaseActionRefused(
                f"{released_on:%B %-d, %Y} is before the case was submitted "
                f"({submitted_on:%B %-d, %Y}). Give the day the model became public."
            )
        previous = case.status
        if case.clock_paused:
            # The case is over: close the open pause so the ledger ends settled.
            ClockEvent.objects.create(
                case=case,
                kind=ClockEvent.Kind.RESUMED,
                at=timezone.now(),
                actor=actor,
                reason="Case released",
            )
            _refresh_clock(case)
        case.status = CaseStatus.RELEASED
        case.released_on = released_on
        case.save(update_fields=["status", "released_on", "updated_at"])
        audit.record(
            "case.released",
            actor=actor,
            target=case,
            details={
                "from": previous,
                "to": CaseStatus.RELEASED,
                "released_on": released_on,
                "before_recommendation": case.released_before_recommendation,
            },
        )
        case_released.send(sender=Submission, case=case, actor=actor)
        early = (
            " before the recommendation was issued" if case.released_before_recommendation else ""
        )
        notify_agencies(
            case,
            f"{case.number} {case.title} was released publicly{early}",
            f"The developer reports the model public since {released_on:%B %-d, %Y}.",
        )
    return case


def _move(case: Submission, source: str, target: str, *, actor, action: str) -> None:
    if case.status != source:
        raise CaseActionRefused(
            f"The case is {case.get_status_display().lower()}; "
            f"only a case that is {CaseStatus(source).label.lower()} can become "
            f"{CaseStatus(target).label.lower()}."
        )
    case.status = target
    case.save(update_fields=["status", "updated_at"])
    audit.record(action, actor=actor, target=case, details={"from": source, "to": target})
