"""Writing findings: recording them with their evidence, changing status and marking.

Notifications go only to the people the finding's marking lets read it, and
name the case and the severity, never the finding's text.

Operators: each operator organization with an open grant on the case
(``portal.core.hooks.operator_readers``) is told when a finding is shared with
operators (recorded or re-marked *operators*) and when a finding shared with
them changes. Each notice is claimed once per change and organization (the
change's audit event is the key, ``SentReminder`` the claim), and names the
agency, never a person.
"""

from collections.abc import Sequence

from django.db import transaction

from portal.accounts.models import Membership
from portal.accounts.selectors import agency_coordinators, developer_people
from portal.audit import events as audit
from portal.cases.models import CaseStatus
from portal.cases.services.lifecycle import locked_case
from portal.files.store import storing
from portal.files.uploads import StreamedFile
from portal.notifications.services import notify
from reviews.models import (
    Finding,
    FindingEvidence,
    Marking,
)
from reviews.services.base import (
    ReviewActionRefused,
    agency_membership,
    developer_review_url,
    section_url,
    tell_operator_readers,
    working_reviewer,
)


def record_finding(
    *,
    actor,
    case_id: int,
    title: str,
    category: str,
    severity: int,
    description: str,
    marking: str = Marking.AGENCY_ONLY,
    evidence: Sequence[tuple[StreamedFile, str]] = (),
) -> Finding:
    with storing(streamed for streamed, _name in evidence) as store, transaction.atomic():
        case = locked_case(case_id)
        assignment = working_reviewer(actor, case)
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
            store(FindingEvidence(finding=finding, uploaded_by=actor), streamed, name=name)
        event = audit.record(
            "finding.recorded",
            actor=actor,
            target=case,
            details={
                "finding": finding.pk,
                "severity": finding.get_severity_display(),
                "marking": marking,
                "evidence": len(evidence),
            },
        )
        _notify_finding(finding, f"New {finding.get_severity_display().lower()} finding")
        if finding.marking == Marking.OPERATORS:
            tell_operators(finding, event, amended=False)
    return finding


def update_finding(*, actor, finding_id: int, status: str, marking: str) -> Finding:
    with transaction.atomic():
        finding = Finding.objects.get(pk=finding_id)
        case = locked_case(finding.case_id)
        finding = Finding.objects.select_for_update().get(pk=finding_id)
        membership = agency_membership(actor)
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
        event = audit.record(
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
        if marking == Marking.OPERATORS:
            # Operators already reading it learn of the change; the others that it is shared.
            tell_operators(finding, event, amended=previous_marking == Marking.OPERATORS)
    return finding


def _notify_finding(finding: Finding, title: str) -> None:
    """Tell the people the marking lets read the finding, and nobody else.

    The notification names the case and the severity; the finding's title and
    text stay in the portal, behind the marking check.
    """
    case = finding.case
    if finding.marking == Marking.AGENCY_ONLY:
        staff = list(agency_coordinators([finding.agency_id]))
    else:
        staff = list(agency_coordinators(case.routings.values("agency_id")))
    developers = []
    if finding.marking in (Marking.DEVELOPER, Marking.OPERATORS):
        developers = list(developer_people(case.developer_id))
    # Named by its agency: toward the developer the government is never a person.
    body = (
        f"From {finding.agency.acronym}. Severity: {finding.get_severity_display()}. "
        "Open the case to read it."
    )
    # Agency staff read findings in the workspace; the developer on the case page.
    for recipients, url in (
        (staff, section_url(case, "findings")),
        (developers, developer_review_url(case)),
    ):
        recipients = [person for person in recipients if person.pk != finding.author_id]
        if recipients:
            notify(recipients, title=f"{title} on {case.number}", body=body, case=case, url=url)


OPERATOR_NOTICE = "operator_finding"


def tell_operators(finding: Finding, event, *, amended: bool) -> int:
    """Tell each operator organization reading the case that a finding was shared
    with operators, or that one shared with them changed (``amended``), once per
    organization and change (``tell_operator_readers``). The notice names the
    agency and the severity, never the finding's title or a person; the finding
    is on the organization's grant page. Returns how many organizations were told.
    """
    case = finding.case
    agency = finding.agency.acronym
    severity = finding.get_severity_display().lower()
    if amended:
        title = f"{agency} updated a finding shared with operators on {case.title}"
    else:
        title = f"{agency} shared a {severity} finding with operators on {case.title}"
    return tell_operator_readers(
        case,
        event,
        kind=OPERATOR_NOTICE,
        subject=finding,
        title=title,
        template="reviews/email/operator_finding.txt",
        context={"finding": finding, "agency": agency, "case": case, "amended": amended},
    )
