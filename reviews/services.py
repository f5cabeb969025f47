"""Writing reviewer work: assignments, findings, information requests, notes, recommendation.

Each function takes the acting person, checks that they may act, runs in one
transaction with the case row locked (so two coordinators, or a reviewer and a
developer, never interleave on one case), writes the audit event, and queues
notifications on commit. A refusal raises ``ReviewActionRefused`` with a
message for the person and changes nothing.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Membership
from portal.accounts.permissions import grant, revoke
from portal.accounts.selectors import agency_coordinators, developer_people
from portal.audit import events as audit
from portal.cases.access import REVIEW_CASE, VIEW_CASE, is_developer_member
from portal.cases.models import CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused
from portal.files.uploads import StreamedFile, clean_display_name
from portal.notifications.services import notify
from reviews.models import (
    Assignment,
    Finding,
    FindingEvidence,
    InformationRequest,
    Marking,
    Note,
    Recommendation,
    RequestAttachment,
)
from reviews.selectors import active_assignment

User = get_user_model()
REVIEWABLE = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


class ReviewActionRefused(CaseActionRefused):
    """The action is not allowed now; the message says why."""


def _locked_case(case_id: int) -> Submission:
    return Submission.objects.select_for_update().get(pk=case_id)


def _agency_membership(user) -> Membership | None:
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.agency_id else None


def _coordinator_of_routed_agency(actor, case) -> Membership:
    membership = _agency_membership(actor)
    if (
        membership is None
        or membership.role != Membership.Role.COORDINATOR
        or not case.routings.filter(agency_id=membership.agency_id).exists()
    ):
        raise ReviewActionRefused("Only a coordinator of an agency on the case can do this.")
    return membership


def _working_reviewer(actor, case) -> Assignment:
    """An accepted lead or reviewer (observers read, they don't write)."""
    assignment = active_assignment(actor, case)
    if assignment is None or assignment.role == Assignment.Role.OBSERVER:
        raise ReviewActionRefused("Only the case's assigned reviewers can do this.")
    return assignment


def _case_url(case) -> str:
    return reverse("reviews:workspace", args=[case.pk])


def _store_file(model, owner_field: str, owner, streamed: StreamedFile, name: str, actor):
    """Move a streamed upload into storage as a row of ``model``; remove it if the row fails."""
    record = model(
        **{owner_field: owner},
        original_name=clean_display_name(name),
        size=streamed.size,
        sha256=streamed.sha256,
        uploaded_by=actor,
    )
    record.file.save("upload", streamed, save=False)
    try:
        record.save()
    except BaseException:
        record.file.storage.delete(record.file.name)
        raise
    return record


# --- assignments --------------------------------------------------------------------------


def assign_reviewer(*, actor, case_id: int, reviewer, role: str, due_date: date) -> Assignment:
    with transaction.atomic():
        case = _locked_case(case_id)
        membership = _coordinator_of_routed_agency(actor, case)
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
        case = _locked_case(assignment.case_id)
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
                url=_case_url(case),
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
                url=_case_url(case),
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
            url=_case_url(case),
        )
    if case.status == CaseStatus.SUBMITTED:
        case_services.start_review(actor=actor, case_id=case.pk)
    return assignment


def remove_assignment(*, actor, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = Assignment.objects.get(pk=assignment_id)
        case = _locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        membership = _coordinator_of_routed_agency(actor, case)
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
        case = _locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        if assignment.reviewer_id != actor.pk:
            membership = _coordinator_of_routed_agency(actor, case)
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
        case = _locked_case(assignment.case_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        membership = _coordinator_of_routed_agency(actor, case)
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


# --- findings -----------------------------------------------------------------------------


def record_finding(
    *,
    actor,
    case_id: int,
    title: str,
    category: str,
    severity: int,
    description: str,
    marking: str = Marking.AGENCY_ONLY,
    evidence: list[tuple[StreamedFile, str]] = (),
) -> Finding:
    stored = []
    try:
        with transaction.atomic():
            case = _locked_case(case_id)
            assignment = _working_reviewer(actor, case)
            if case.status not in (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
                raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
            finding = Finding(
                case=case,
                author=actor,
                agency=assignment.agency,
                title=title,
                category=category,
                severity=severity,
                description=description,
                marking=marking,
            )
            finding.full_clean()
            finding.save()
            for streamed, name in evidence:
                stored.append(
                    _store_file(FindingEvidence, "finding", finding, streamed, name, actor)
                )
            audit.record(
                "finding.recorded",
                actor=actor,
                target=case,
                details={
                    "finding": finding.pk,
                    "severity": finding.get_severity_display(),
                    "marking": marking,
                    "evidence": len(stored),
                },
            )
            _notify_finding(finding, f"New {finding.get_severity_display().lower()} finding")
    except BaseException:
        for record in stored:
            record.file.storage.delete(record.file.name)
        raise
    finally:
        for streamed, _name in evidence:
            streamed.discard()
    return finding


def update_finding(*, actor, finding_id: int, status: str, marking: str) -> Finding:
    with transaction.atomic():
        finding = Finding.objects.get(pk=finding_id)
        case = _locked_case(finding.case_id)
        finding = Finding.objects.select_for_update().get(pk=finding_id)
        membership = _agency_membership(actor)
        is_author = finding.author_id == actor.pk
        is_agency_coordinator = (
            membership is not None
            and membership.role == Membership.Role.COORDINATOR
            and membership.agency_id == finding.agency_id
        )
        if not (is_author or is_agency_coordinator):
            raise ReviewActionRefused(
                "Only the author or their agency's coordinator can change it."
            )
        if status not in Finding.Status.values or marking not in Marking.values:
            raise ReviewActionRefused("Choose a status and a marking.")
        changes = {}
        if finding.status != status:
            changes["status"] = [finding.status, status]
        if finding.marking != marking:
            changes["marking"] = [finding.marking, marking]
        if not changes:
            return finding
        finding.status, finding.marking = status, marking
        finding.save(update_fields=["status", "marking", "updated_at"])
        audit.record(
            "finding.changed",
            actor=actor,
            target=case,
            details={"finding": finding.pk, **changes},
        )
        # Only a wider marking brings in new readers; a narrower one tells nobody.
        widths = list(Marking.values)
        previous_marking = changes.get("marking", [marking])[0]
        if widths.index(marking) > widths.index(previous_marking):
            _notify_finding(finding, "A finding is now shared with you")
    return finding


def _notify_finding(finding: Finding, title: str) -> None:
    """Tell the people the marking lets read the finding, and nobody else.

    The notification names the case and the severity; the finding's title and
    text stay in the portal, behind the marking check.
    """
    case = finding.case
    if finding.marking == Marking.AGENCY_ONLY:
        recipients = list(agency_coordinators([finding.agency_id]))
    else:
        recipients = list(agency_coordinators(case.routings.values("agency_id")))
        if finding.marking in (Marking.DEVELOPER, Marking.OPERATORS):
            recipients += list(developer_people(case.developer_id))
    recipients = [person for person in recipients if person.pk != finding.author_id]
    notify(
        recipients,
        title=f"{title} on {case.number}",
        body=f"Severity: {finding.get_severity_display()}. Open the case to read it.",
        case=case,
        url=reverse("reviews:workspace", args=[case.pk]),
    )


# --- information requests -----------------------------------------------------------------


def open_request(*, actor, case_id: int, question: str, response_due: date) -> InformationRequest:
    question = question.strip()
    with transaction.atomic():
        case = _locked_case(case_id)
        assignment = _working_reviewer(actor, case)
        if case.status not in (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED):
            raise ReviewActionRefused(f"The case is {case.get_status_display().lower()}.")
        if not question:
            raise ReviewActionRefused("Write the question for the developer.")
        if response_due <= timezone.localdate():
            raise ReviewActionRefused("The response due date must be after today.")
        request = InformationRequest.objects.create(
            case=case,
            asked_by=actor,
            agency=assignment.agency,
            question=question,
            response_due=response_due,
        )
        audit.record(
            "request.opened",
            actor=actor,
            target=case,
            details={"request": request.pk, "response_due": response_due},
        )
        if case.status == CaseStatus.IN_REVIEW:
            case_services.pause_for_information(
                actor=actor, case_id=case.pk, reason=f"Information request {request.pk}"
            )
        notify(
            list(developer_people(case.developer_id)),
            title=f"The reviewers of {case.number} ask for information",
            body=(
                f"Please answer by {response_due:%B %-d, %Y}. "
                "The review clock is paused until every request is answered."
            ),
            case=case,
            url=reverse("portal:case_detail", args=[case.pk]),
        )
    return request


def answer_request(
    *, actor, request_id: int, answer: str, files: list[tuple[StreamedFile, str]] = ()
) -> InformationRequest:
    answer = answer.strip()
    stored = []
    try:
        with transaction.atomic():
            request = InformationRequest.objects.get(pk=request_id)
            case = _locked_case(request.case_id)
            request = InformationRequest.objects.select_for_update().get(pk=request_id)
            if not is_developer_member(actor, case):
                raise ReviewActionRefused("Only the developer's submitters can answer.")
            if case.is_closed:
                raise ReviewActionRefused(
                    f"The case is {case.get_status_display().lower()}; it takes no answers."
                )
            if request.status != InformationRequest.Status.OPEN:
                raise ReviewActionRefused(
                    f"This request is {request.get_status_display().lower()}; it takes no answer."
                )
            if not answer:
                raise ReviewActionRefused("Write an answer.")
            request.status = InformationRequest.Status.ANSWERED
            request.answer = answer
            request.answered_by = actor
            request.answered_at = timezone.now()
            request.save()
            for streamed, name in files:
                stored.append(
                    _store_file(RequestAttachment, "request", request, streamed, name, actor)
                )
            audit.record(
                "request.answered",
                actor=actor,
                target=case,
                details={"request": request.pk, "files": len(stored)},
            )
            _resume_if_none_open(case, actor)
            notify(
                [request.asked_by],
                title=f"The developer answered your request on {case.number}",
                case=case,
                url=_case_url(case),
            )
    except BaseException:
        for record in stored:
            record.file.storage.delete(record.file.name)
        raise
    finally:
        for streamed, _name in files:
            streamed.discard()
    return request


def withdraw_request(*, actor, request_id: int) -> InformationRequest:
    with transaction.atomic():
        request = InformationRequest.objects.get(pk=request_id)
        case = _locked_case(request.case_id)
        request = InformationRequest.objects.select_for_update().get(pk=request_id)
        if request.asked_by_id != actor.pk:
            _coordinator_of_routed_agency(actor, case)
        if request.status != InformationRequest.Status.OPEN:
            raise ReviewActionRefused(f"This request is {request.get_status_display().lower()}.")
        request.status = InformationRequest.Status.WITHDRAWN
        request.save(update_fields=["status"])
        audit.record("request.withdrawn", actor=actor, target=case, details={"request": request.pk})
        _resume_if_none_open(case, actor)
        notify(
            list(developer_people(case.developer_id)),
            title=f"An information request on {case.number} was withdrawn",
            body="It needs no answer.",
            case=case,
            url=reverse("portal:case_detail", args=[case.pk]),
        )
    return request


def _resume_if_none_open(case, actor) -> None:
    still_open = case.information_requests.filter(status=InformationRequest.Status.OPEN).exists()
    if not still_open and case.status == CaseStatus.INFO_REQUESTED:
        case_services.resume_review(actor=actor, case_id=case.pk, reason="Requests answered")


# --- notes and the recommendation ---------------------------------------------------------


def add_note(*, actor, case_id: int, body: str) -> Note:
    body = body.strip()
    with transaction.atomic():
        case = _locked_case(case_id)
        membership = _agency_membership(actor)
        if (
            membership is None
            or not Submission.objects.visible_to(actor).filter(pk=case.pk).exists()
        ):
            raise ReviewActionRefused("Only the case's government reviewers can write notes.")
        if not body:
            raise ReviewActionRefused("Write the note first.")
        note = Note.objects.create(
            case=case, author=actor, agency_id=membership.agency_id, body=body
        )
        audit.record("note.added", actor=actor, target=case, details={"note": note.pk})
        # The government people on the case; the note's text stays in the portal.
        working = User.objects.filter(
            assignments__case=case,
            assignments__status__in=[Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED],
        )
        notify(
            [
                person
                for person in [
                    *agency_coordinators(case.routings.values("agency_id")),
                    *working,
                ]
                if person.pk != actor.pk
            ],
            title=f"{actor.display_name()} added a note on {case.number}",
            case=case,
            url=_case_url(case),
        )
    return note


def draft_recommendation(
    *, actor, case_id: int, outcome: str, summary: str, conditions: str = ""
) -> Recommendation:
    summary, conditions = summary.strip(), conditions.strip()
    with transaction.atomic():
        case = _locked_case(case_id)
        assignment = active_assignment(actor, case)
        is_lead = assignment is not None and assignment.role == Assignment.Role.LEAD
        if not is_lead:
            _coordinator_of_routed_agency(actor, case)
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
            url=_case_url(case),
        )
    return recommendation


def issue_recommendation(*, actor, case_id: int) -> Recommendation:
    with transaction.atomic():
        case = _locked_case(case_id)
        _coordinator_of_routed_agency(actor, case)
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
