"""Writing assignments: inviting reviewers, the conflict-of-interest attestation,
removing, completing and moving due dates.

A reviewer who accepts gets the case's view and review permissions; removal
takes both back at once, completion only the review permission.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Membership
from portal.accounts.permissions import grant, revoke
from portal.accounts.selectors import agency_coordinators
from portal.audit import events as audit
from portal.cases.access import REVIEW_CASE, VIEW_CASE
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import locked_case
from portal.notifications.services import notify
from reviews.models import (
    Assignment,
)
from reviews.services.base import (
    ReviewActionRefused,
    coordinator_of_routed_agency,
    reviewers_url,
)

REVIEWABLE = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


def assign_reviewer(*, actor, case_id: int, reviewer, role: str, due_date: date) -> Assignment:
    with transaction.atomic():
        case = locked_case(case_id)
        membership = coordinator_of_routed_agency(actor, case)
        assert membership.agency_id is not None  # an agency membership
        if case.status not in REVIEWABLE:
            raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
        target = Membership.objects.filter(user=reviewer).first()
        if (
            not reviewer.is_active
            or target is None
            or target.agency_id != membership.agency_id
            or target.role != Membership.Role.REVIEWER
        ):
            raise ReviewActionRefused("Choose an active reviewer of your agency.")
        if role not in Assignment.Role.values:
            raise ReviewActionRefused("Choose the reviewer's role on the case.")
        today = timezone.localdate()
        if due_date < today:
            raise ReviewActionRefused("The due date is in the past.")
        if case.review_due and due_date > case.review_due:
            raise ReviewActionRefused(
                f"The due date must be on or before the case's review due date "
                f"({case.review_due:%B %-d, %Y})."
            )
        if (
            Assignment.objects.filter(
                case=case, reviewer=reviewer, status=Assignment.Status.DECLINED
            )
            .exclude(financial_interest=False, recent_employment=False, other_conflict="")
            .exists()
        ):
            raise ReviewActionRefused(
                f"{reviewer.display_name()} declared a conflict of interest on this case."
            )
        if Assignment.objects.filter(
            case=case, reviewer=reviewer, status__in=Assignment.HOLDING
        ).exists():
            raise ReviewActionRefused(f"{reviewer.display_name()} is already assigned to the case.")
        if (
            role == Assignment.Role.LEAD
            and Assignment.objects.filter(
                case=case,
                agency_id=membership.agency_id,
                role=Assignment.Role.LEAD,
                status__in=Assignment.ACTIVE,
            ).exists()
        ):
            raise ReviewActionRefused("The case already has a lead reviewer from your agency.")
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    case=case,
                    reviewer=reviewer,
                    agency_id=membership.agency_id,
                    role=role,
                    due_date=due_date,
                    invited_by=actor,
                )
        except IntegrityError:
            raise ReviewActionRefused(
                f"{reviewer.display_name()} is already assigned to the case."
            ) from None
        audit.record(
            "assignment.invited",
            actor=actor,
            target=case,
            details={"reviewer": reviewer.username, "role": role, "due": due_date},
        )
        notify(
            [reviewer],
            title=f"You are invited to review {case.number}",
            body=(
                f"{actor.display_name()} invited you as {assignment.get_role_display().lower()} "
                f"on {case.number} ({case.title}, {case.developer}), due {due_date:%B %-d, %Y}. "
                "Attest to conflicts of interest before you accept."
            ),
            case=case,
            url=reverse("reviews:assignment_respond", args=[assignment.pk]),
        )
    return assignment


def respond_to_invitation(
    *,
    actor,
    assignment_id: int,
    accept: bool,
    financial_interest: bool,
    recent_employment: bool,
    other_conflict: str = "",
    decline_reason: str = "",
) -> Assignment:
    """Attest to conflicts of interest, then accept or decline.

    A declared conflict blocks the assignment (it is declined) and tells the
    agency's coordinators.
    """
    other_conflict = other_conflict.strip()
    with transaction.atomic():
        assignment = Assignment.objects.select_related("case").get(pk=assignment_id)
        case = locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        if assignment.reviewer_id != actor.pk:
            raise ReviewActionRefused("Only the invited reviewer can answer this invitation.")
        if assignment.status != Assignment.Status.INVITED:
            raise ReviewActionRefused(
                f"This invitation was already answered ({assignment.get_status_display().lower()})."
            )
        now = timezone.now()
        assignment.attested_at = now
        assignment.responded_at = now
        assignment.financial_interest = financial_interest
        assignment.recent_employment = recent_employment
        assignment.other_conflict = other_conflict[:2000]
        coordinators = list(agency_coordinators([assignment.agency_id]))
        if assignment.declared_conflict:
            assignment.status = Assignment.Status.DECLINED
            assignment.decline_reason = "Conflict of interest declared"
            assignment.save()
            audit.record(
                "assignment.conflict_declared",
                actor=actor,
                target=case,
                details={
                    "reviewer": actor.username,
                    "financial_interest": financial_interest,
                    "recent_employment": recent_employment,
                    "other": bool(other_conflict),
                },
            )
            notify(
                coordinators,
                title=f"{actor.display_name()} declared a conflict on {case.number}",
                body="The assignment is blocked. Assign another reviewer.",
                case=case,
                url=reviewers_url(case),
            )
            return assignment
        if not accept:
            assignment.status = Assignment.Status.DECLINED
            assignment.decline_reason = decline_reason.strip()[:500]
            assignment.save()
            audit.record(
                "assignment.declined",
                actor=actor,
                target=case,
                details={"reviewer": actor.username, "reason": assignment.decline_reason},
            )
            notify(
                coordinators,
                title=f"{actor.display_name()} declined {case.number}",
                body=assignment.decline_reason,
                case=case,
                url=reviewers_url(case),
            )
            return assignment
        if case.status not in REVIEWABLE:
            raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
        assignment.status = Assignment.Status.ACCEPTED
        assignment.save()
        grant(VIEW_CASE, actor, case)
        grant(REVIEW_CASE, actor, case)
        audit.record(
            "assignment.accepted",
            actor=actor,
            target=case,
            details={"reviewer": actor.username, "role": assignment.role},
        )
        notify(
            coordinators,
            title=f"{actor.display_name()} accepted {case.number}",
            case=case,
            url=reviewers_url(case),
        )
    if case.status == CaseStatus.SUBMITTED:
        case_services.start_review(actor=actor, case_id=case.pk)
    return assignment


def remove_assignment(*, actor, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = Assignment.objects.get(pk=assignment_id)
        case = locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        membership = coordinator_of_routed_agency(actor, case)
        if assignment.agency_id != membership.agency_id:
            raise ReviewActionRefused(
                "Only a coordinator of the reviewer's agency can remove them."
            )
        if assignment.status not in Assignment.ACTIVE:
            raise ReviewActionRefused(
                f"This assignment is already {assignment.get_status_display().lower()}."
            )
        assignment.status = Assignment.Status.REMOVED
        assignment.save(update_fields=["status"])
        _take_back_access(assignment.reviewer, case, keep_view=False)
        audit.record(
            "assignment.removed",
            actor=actor,
            target=case,
            details={"reviewer": assignment.reviewer.username},
        )
        notify(
            [assignment.reviewer],
            title=f"You were removed from {case.number}",
            case=None,
        )
    return assignment


def complete_assignment(*, actor, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = Assignment.objects.get(pk=assignment_id)
        case = locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        if assignment.reviewer_id != actor.pk:
            membership = coordinator_of_routed_agency(actor, case)
            if membership.agency_id != assignment.agency_id:
                raise ReviewActionRefused(
                    "Only a coordinator of the reviewer's agency can complete their assignment."
                )
        if assignment.status != Assignment.Status.ACCEPTED:
            raise ReviewActionRefused("Only an accepted assignment can be completed.")
        assignment.status = Assignment.Status.COMPLETED
        assignment.completed_at = timezone.now()
        assignment.save(update_fields=["status", "completed_at"])
        # A completed reviewer keeps reading the case but no longer works on it.
        _take_back_access(assignment.reviewer, case, keep_view=True)
        audit.record(
            "assignment.completed",
            actor=actor,
            target=case,
            details={"reviewer": assignment.reviewer.username},
        )
    return assignment


def change_due_date(*, actor, assignment_id: int, due_date: date) -> Assignment:
    with transaction.atomic():
        assignment = Assignment.objects.get(pk=assignment_id)
        case = locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        membership = coordinator_of_routed_agency(actor, case)
        if (
            assignment.agency_id != membership.agency_id
            or assignment.status not in Assignment.ACTIVE
        ):
            raise ReviewActionRefused("Only open assignments of your agency can be changed.")
        if due_date < timezone.localdate():
            raise ReviewActionRefused("The due date is in the past.")
        if case.review_due and due_date > case.review_due:
            raise ReviewActionRefused(
                f"The due date must be on or before {case.review_due:%B %-d, %Y}."
            )
        previous = assignment.due_date
        assignment.due_date = due_date
        assignment.save(update_fields=["due_date"])
        audit.record(
            "assignment.due_changed",
            actor=actor,
            target=case,
            details={"reviewer": assignment.reviewer.username, "from": previous, "to": due_date},
        )
    return assignment


def _take_back_access(reviewer, case, *, keep_view: bool) -> None:
    revoke(REVIEW_CASE, reviewer, case)
    if not keep_view:
        revoke(VIEW_CASE, reviewer, case)
