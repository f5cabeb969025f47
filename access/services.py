"""Writing access: grants, nominations, revocation, expiry, terms, reports.

Each function checks the actor, runs in one transaction, writes the audit event
and queues notifications on commit. Permission changes (guardian) take effect
on the next request: a revoked grant is invisible to the operator at once.
"""

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone

from access.models import (
    AccessGrant,
    EvaluationReport,
    ReportFile,
    Terms,
    TermsAcceptance,
)
from portal.accounts.models import Membership, Organization
from portal.accounts.permissions import grant, revoke
from portal.accounts.selectors import agency_coordinators, developer_people, security_team
from portal.audit import events as audit
from portal.cases.access import READ_OPERATOR_FINDINGS, is_developer_member
from portal.cases.models import CaseStatus, Submission
from portal.cases.services.lifecycle import CaseActionRefused
from portal.files.store import storing
from portal.files.uploads import StreamedFile
from portal.notifications.services import notify

User = get_user_model()
VIEW_GRANT = "access.view_accessgrant"
OPEN_STATUSES = (AccessGrant.Status.NOMINATED, AccessGrant.Status.ACTIVE)
GRANTABLE = (
    CaseStatus.SUBMITTED,
    CaseStatus.IN_REVIEW,
    CaseStatus.INFO_REQUESTED,
    CaseStatus.RECOMMENDATION_ISSUED,
)


class AccessActionRefused(CaseActionRefused):
    """The action is not allowed now; the message says why."""


def default_end(case: Submission) -> datetime:
    """Access ends when the model is released: the start of the planned release day."""
    if case.planned_release_date is None:
        raise ValueError(f"Case {case.number} has no planned release date.")
    return timezone.make_aware(datetime.combine(case.planned_release_date, time.min))


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%B %-d, %Y %H:%M %Z}"


def _grant_url(access_grant) -> str:
    return reverse("access:grant_detail", args=[access_grant.pk])


def _share_with_case_parties(access_grant: AccessGrant) -> None:
    """The developer and the case's agencies see the grant from the start."""
    case = access_grant.case
    grant(VIEW_GRANT, case.developer.group, access_grant)
    for routing in case.routings.select_related("agency__coordinators_group"):
        grant(VIEW_GRANT, routing.agency.coordinators_group, access_grant)


def _open_to_operator(access_grant: AccessGrant) -> None:
    group = access_grant.operator.group
    grant(VIEW_GRANT, group, access_grant)
    grant(READ_OPERATOR_FINDINGS, group, access_grant.case)


def _close_to_operator(access_grant: AccessGrant) -> None:
    group = access_grant.operator.group
    revoke(VIEW_GRANT, group, access_grant)
    still_open = AccessGrant.objects.filter(
        case=access_grant.case, operator=access_grant.operator, status=AccessGrant.Status.ACTIVE
    ).exclude(pk=access_grant.pk)
    if not still_open.exists():
        revoke(READ_OPERATOR_FINDINGS, group, access_grant.case)


def _check_window(case, starts_at, ends_at):
    if ends_at <= starts_at:
        raise AccessActionRefused("Access must end after it starts.")
    if ends_at <= timezone.now():
        raise AccessActionRefused("The end of access is in the past.")


def _create(*, actor, case, operator, status, starts_at, ends_at, all_artifacts, artifact_ids):
    if operator.kind != Organization.Kind.OPERATOR or not operator.active:
        raise AccessActionRefused("Choose an active critical-infrastructure operator.")
    if case.status not in GRANTABLE:
        raise AccessActionRefused(f"The case is {case.get_status_display().lower()}.")
    starts_at = starts_at or timezone.now()
    # An end left at the release day follows the release when it moves.
    ends_with_release = ends_at is None or ends_at == default_end(case)
    ends_at = ends_at or default_end(case)
    _check_window(case, starts_at, ends_at)
    chosen = list(case.artifacts.filter(pk__in=artifact_ids or []))
    if not all_artifacts and (not chosen or len(chosen) != len(set(artifact_ids or []))):
        raise AccessActionRefused("Choose the artifacts to share, all of them from this case.")
    try:
        with transaction.atomic():
            access_grant = AccessGrant.objects.create(
                case=case,
                operator=operator,
                status=status,
                starts_at=starts_at,
                ends_at=ends_at,
                ends_with_release=ends_with_release,
                all_artifacts=all_artifacts,
            )
    except IntegrityError:
        raise AccessActionRefused(f"{operator} already has access to this case.") from None
    if not all_artifacts:
        access_grant.artifacts.set(chosen)
    _share_with_case_parties(access_grant)
    return access_grant


def grant_access(
    *,
    actor,
    case_id: int,
    operator: Organization,
    all_artifacts: bool = True,
    artifact_ids=None,
    starts_at=None,
    ends_at=None,
) -> AccessGrant:
    with transaction.atomic():
        case = Submission.objects.select_for_update().get(pk=case_id)
        if not is_developer_member(actor, case):
            raise AccessActionRefused("Only the developer's submitters can grant access.")
        access_grant = _create(
            actor=actor,
            case=case,
            operator=operator,
            status=AccessGrant.Status.ACTIVE,
            starts_at=starts_at,
            ends_at=ends_at,
            all_artifacts=all_artifacts,
            artifact_ids=artifact_ids,
        )
        access_grant.granted_by = actor
        access_grant.granted_at = timezone.now()
        access_grant.save(update_fields=["granted_by", "granted_at"])
        _open_to_operator(access_grant)
        audit.record(
            "access.granted",
            actor=actor,
            target=access_grant,
            details=_grant_details(access_grant),
        )
        notify(
            list(security_team(operator.pk)),
            title=f"Pre-public access to {case.title} ({case.developer})",
            body=f"Access is open until {_when(access_grant.ends_at)}. "
            "Accept the current terms before your first download.",
            url=_grant_url(access_grant),
        )
    return access_grant


def nominate_access(*, actor, case_id: int, operator: Organization, ends_at=None) -> AccessGrant:
    """A coordinator proposes an operator; the developer approves or not."""
    with transaction.atomic():
        case = Submission.objects.select_for_update().get(pk=case_id)
        membership = getattr(actor, "membership", None)
        if (
            membership is None
            or membership.role != Membership.Role.COORDINATOR
            or not case.routings.filter(agency_id=membership.agency_id).exists()
        ):
            raise AccessActionRefused("Only a coordinator of an agency on the case can nominate.")
        access_grant = _create(
            actor=actor,
            case=case,
            operator=operator,
            status=AccessGrant.Status.NOMINATED,
            starts_at=None,
            ends_at=ends_at,
            all_artifacts=True,
            artifact_ids=None,
        )
        access_grant.nominated_by = actor
        access_grant.save(update_fields=["nominated_by"])
        audit.record(
            "access.nominated",
            actor=actor,
            target=access_grant,
            details=_grant_details(access_grant),
        )
        notify(
            list(developer_people(case.developer_id)),
            title=f"{membership.agency} nominates {operator} for access to {case.number}",
            body="Approve or decline the nomination in the case's Operator access section.",
            case=case,
            url=reverse("portal:case_section", args=[case.pk, "access"]),
        )
    return access_grant


def approve_nomination(*, actor, grant_id: int) -> AccessGrant:
    with transaction.atomic():
        access_grant = (
            AccessGrant.objects.select_for_update()
            .select_related("case", "operator")
            .get(pk=grant_id)
        )
        case = access_grant.case
        if not is_developer_member(actor, case):
            raise AccessActionRefused("Only the developer's submitters can approve access.")
        if access_grant.status != AccessGrant.Status.NOMINATED:
            raise AccessActionRefused(
                f"This grant is {access_grant.get_status_display().lower()}, not nominated."
            )
        # The case or the operator may have changed since the nomination.
        if case.status not in GRANTABLE:
            raise AccessActionRefused(f"The case is {case.get_status_display().lower()}.")
        operator = access_grant.operator
        if operator.kind != Organization.Kind.OPERATOR or not operator.active:
            raise AccessActionRefused(f"{operator} is no longer an active operator.")
        now = timezone.now()
        if access_grant.ends_at <= now:
            raise AccessActionRefused("The nominated access would already have ended.")
        access_grant.status = AccessGrant.Status.ACTIVE
        access_grant.starts_at = now
        access_grant.granted_by = actor
        access_grant.granted_at = now
        access_grant.save(update_fields=["status", "starts_at", "granted_by", "granted_at"])
        _open_to_operator(access_grant)
        audit.record(
            "access.granted", actor=actor, target=access_grant, details=_grant_details(access_grant)
        )
        notify(
            list(security_team(access_grant.operator_id)),
            title=f"Pre-public access to {case.title} ({case.developer})",
            body="Accept the current terms before your first download.",
            url=_grant_url(access_grant),
        )
    return access_grant


def revoke_access(*, actor, grant_id: int, reason: str) -> AccessGrant:
    """Takes effect on the operator's next request."""
    reason = reason.strip()
    with transaction.atomic():
        access_grant = (
            AccessGrant.objects.select_for_update()
            .select_related("case", "operator")
            .get(pk=grant_id)
        )
        if not is_developer_member(actor, access_grant.case):
            raise AccessActionRefused("Only the developer's submitters can revoke access.")
        if access_grant.status not in OPEN_STATUSES:
            raise AccessActionRefused(
                f"This grant is already {access_grant.get_status_display().lower()}."
            )
        if not reason:
            raise AccessActionRefused("Give a reason for revoking access.")
        access_grant.status = AccessGrant.Status.REVOKED
        access_grant.revoked_by = actor
        access_grant.revoked_at = timezone.now()
        access_grant.revocation_reason = reason[:500]
        access_grant.save(update_fields=["status", "revoked_by", "revoked_at", "revocation_reason"])
        _close_to_operator(access_grant)
        audit.record("access.revoked", actor=actor, target=access_grant, details={"reason": reason})
        notify(
            list(security_team(access_grant.operator_id)),
            title=f"Access to {access_grant.case.title} was revoked",
            body=reason,
        )
    return access_grant


def _end_within_window(access_grant: AccessGrant, ends_at: datetime) -> datetime:
    """``ends_at``, or just after the start for a grant that starts later (a window
    is never empty): a grant whose new end has passed closes at the next expiry."""
    return max(ends_at, access_grant.starts_at + timedelta(microseconds=1))


def follow_release_date(*, case: Submission, actor) -> list[AccessGrant]:
    """Move the end of every open grant that follows the release to the new release day.

    Called inside the developer's change (``release_date_changed``); grants
    with an end chosen on their own keep it. Each move is audited and the
    operator's security team told.
    """
    new_end = default_end(case)
    moved = []
    following = (
        AccessGrant.objects.select_for_update()
        .filter(case=case, status__in=OPEN_STATUSES, ends_with_release=True)
        .select_related("operator")
        .order_by("pk")
    )
    for access_grant in following:
        previous, access_grant.ends_at = (
            access_grant.ends_at,
            _end_within_window(access_grant, new_end),
        )
        if access_grant.ends_at == previous:
            continue
        access_grant.save(update_fields=["ends_at"])
        audit.record(
            "access.end_moved",
            actor=actor,
            target=access_grant,
            details={"from": previous, "to": access_grant.ends_at, "why": "release date moved"},
        )
        if access_grant.status == AccessGrant.Status.ACTIVE:
            notify(
                list(security_team(access_grant.operator_id)),
                title=f"Access to {case.title} ({case.developer}) now ends "
                f"{_when(access_grant.ends_at)}",
                body="The developer moved the planned public release; access ends with it.",
                url=_grant_url(access_grant),
            )
        moved.append(access_grant)
    return moved


def end_grants_at_release(*, case: Submission, actor) -> int:
    """The model is public: every open grant ends at the release day and closes now.

    Called inside the developer's marking (``case_released``). Pre-public
    access has no purpose once the model is public, so an end chosen on its
    own ends too. Returns how many grants closed.
    """
    assert case.released_on is not None
    released_at = timezone.make_aware(datetime.combine(case.released_on, time.min))
    open_grants = list(
        AccessGrant.objects.select_for_update()
        .filter(case=case, status__in=OPEN_STATUSES, ends_at__gt=released_at)
        .order_by("pk")
    )
    for access_grant in open_grants:
        previous = access_grant.ends_at
        access_grant.ends_at = _end_within_window(access_grant, released_at)
        access_grant.save(update_fields=["ends_at"])
        audit.record(
            "access.end_moved",
            actor=actor,
            target=access_grant,
            details={"from": previous, "to": access_grant.ends_at, "why": "case released"},
        )
    now = timezone.now()
    closing = AccessGrant.objects.filter(case=case, status__in=OPEN_STATUSES).order_by("pk")
    return sum(
        expire_grant(access_grant.pk, at=max(now, access_grant.ends_at)) for access_grant in closing
    )


EXPIRY_BATCH = 200


def expire_grants(at: datetime | None = None, *, batch_size: int = EXPIRY_BATCH) -> int:
    """Close every grant, and every nomination never approved, whose window ended by ``at``.

    Periodic work (``access.tasks.expire_grants``, ``manage.py expire_grants``):
    the open grants that ended are read by id in batches, and each is claimed
    and closed in its own transaction (``expire_grant``), so a grant closes
    exactly once however many runs overlap, and a failure leaves the grants
    closed before it closed. Returns how many this run closed.

    The operator is told by the deadline sweep (the ``grant_expired``
    reminder, ``access.reminders``), which reads what was closed here.
    """
    at = at or timezone.now()
    closed, after = 0, 0
    while True:
        batch = list(
            AccessGrant.objects.filter(status__in=OPEN_STATUSES, ends_at__lte=at, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return closed
        closed += sum(expire_grant(pk, at=at) for pk in batch)
        after = batch[-1]


def expire_grant(access_grant_id: int, *, at: datetime | None = None) -> bool:
    """Close one grant (or a nomination never approved) whose window ended by ``at``.

    The claim is a conditional update (still open, ended by ``at``) that must
    change exactly one row: a grant another run closed first, or one revoked
    meanwhile, is left alone and False returned. The operator organization's
    permissions go with it, and the closing is audited.
    """
    at = at or timezone.now()
    with transaction.atomic():
        claimed = AccessGrant.objects.filter(
            pk=access_grant_id, status__in=OPEN_STATUSES, ends_at__lte=at
        ).update(status=AccessGrant.Status.EXPIRED)
        if claimed != 1:
            return False
        access_grant = AccessGrant.objects.select_related("case", "operator").get(
            pk=access_grant_id
        )
        _close_to_operator(access_grant)
        audit.record(
            "access.expired",
            actor=None,
            actor_repr="grant expiry",
            target=access_grant,
            details={"ended_at": access_grant.ends_at},
        )
    return True


def accept_terms(*, actor, terms_id: int, ip: str | None = None) -> TermsAcceptance:
    current = Terms.current()
    if current is None or current.pk != terms_id:
        raise AccessActionRefused("These are not the current terms; read the current ones.")
    # One transaction: an acceptance is never stored without its audit event.
    with transaction.atomic():
        acceptance, created = TermsAcceptance.objects.get_or_create(
            user=actor, terms=current, defaults={"ip": ip}
        )
        if created:
            audit.record(
                "terms.accepted", actor=actor, target=current, details={"version": current.version}
            )
    return acceptance


def has_accepted_current_terms(user) -> bool:
    """Whether the person accepted the terms in force now: one query (none in force: no)."""
    current = Terms.objects.filter(published_at__lte=timezone.now()).order_by("-version")
    return TermsAcceptance.objects.filter(
        user=user, terms_id=Subquery(current.values("pk")[:1])
    ).exists()


def file_report(
    *,
    actor,
    grant_id: int,
    title: str,
    risk: str,
    assessment: str,
    marking: str,
    files: Sequence[tuple[StreamedFile, str]] = (),
) -> EvaluationReport:
    with storing(streamed for streamed, _name in files) as store, transaction.atomic():
        access_grant = AccessGrant.objects.select_related("case", "operator").get(pk=grant_id)
        membership = getattr(actor, "membership", None)
        if membership is None or membership.organization_id != access_grant.operator_id:
            raise AccessActionRefused("Only the operator's security team can report.")
        if access_grant.status not in (AccessGrant.Status.ACTIVE, AccessGrant.Status.EXPIRED):
            raise AccessActionRefused(f"This grant is {access_grant.get_status_display().lower()}.")
        if (
            risk not in EvaluationReport.Risk.values
            or marking not in EvaluationReport.Marking.values
        ):
            raise AccessActionRefused("Choose a risk level and who may read the report.")
        if not title.strip() or not assessment.strip():
            raise AccessActionRefused("Give the report a title and your assessment.")
        report = EvaluationReport.objects.create(
            grant=access_grant,
            case=access_grant.case,
            operator=access_grant.operator,
            author=actor,
            title=title.strip()[:200],
            risk=risk,
            assessment=assessment.strip(),
            marking=marking,
        )
        for streamed, name in files:
            store(ReportFile(report=report), streamed, name=name)
        audit.record(
            "report.filed",
            actor=actor,
            target=access_grant.case,
            details={
                "report": report.pk,
                "risk": risk,
                "marking": marking,
                "files": len(files),
            },
        )
        recipients = list(agency_coordinators(access_grant.case.routings.values("agency_id")))
        if marking == EvaluationReport.Marking.DEVELOPER:
            recipients += list(developer_people(access_grant.case.developer_id))
        notify(
            recipients,
            title=f"{access_grant.operator} reported on {access_grant.case.number}",
            body=f"Risk: {report.get_risk_display()}.",
            case=access_grant.case,
            url=reverse("access:report_detail", args=[report.pk]),
        )
    return report


def _grant_details(access_grant: AccessGrant) -> dict:
    return {
        "case": access_grant.case.reference,
        "operator": str(access_grant.operator),
        "starts_at": access_grant.starts_at,
        "ends_at": access_grant.ends_at,
        "all_artifacts": access_grant.all_artifacts,
        "status": access_grant.status,
    }
