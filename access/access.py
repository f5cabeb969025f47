"""Access helpers for access pages: the object, or 404 alike for missing and out of reach.

Views find every grant and every report here, never by a query of their own.
A grant is looked up for a purpose, because who may reach it depends on what
they mean to do: the developer manages it, the operator's security team reads
it, downloads through it and reports on it.
"""

from enum import Enum

from django.core.exceptions import PermissionDenied
from django.http import Http404

from access.models import AccessGrant, EvaluationReport
from access.selectors import live_grants, readable_reports, viewable_grants
from portal.accounts.models import Membership
from portal.cases.access import is_developer_member
from portal.cases.models import Submission

# An operator reports on access it has, or had until it ended; never on a
# nomination it was not given, nor on access that was revoked.
REPORTABLE = (AccessGrant.Status.ACTIVE, AccessGrant.Status.EXPIRED)


class GrantPurpose(Enum):
    MANAGE = "manage"
    """The developer approves or revokes it. Whoever else sees its case (the
    case's agencies) gets 403; everyone else 404."""
    VIEW = "view"
    """The operator's security team reads its page: open to them, or closed
    (revoked, expired) after it was given to them; a closed grant's page shows its
    state and the organization's reports, never a file or a shared finding."""
    DOWNLOAD = "download"
    """The operator's security team downloads through it: live grants only."""
    REPORT = "report"
    """The operator's security team reports on it: active, or ended (not revoked)."""


def get_grant_or_404(user, pk, *, purpose: GrantPurpose) -> AccessGrant:
    """The grant, if this person may reach it for ``purpose``; else 404 (or 403, see MANAGE)."""
    access_grant = _grants_for(user, purpose).filter(pk=pk).first()
    if access_grant is None:
        raise Http404("No such grant.")
    if purpose is GrantPurpose.MANAGE and not is_developer_member(user, access_grant.case):
        raise PermissionDenied("Only the developer's submitters can change access to the case.")
    return access_grant


def _grants_for(user, purpose: GrantPurpose):
    if purpose is GrantPurpose.MANAGE:
        # Whoever may see the grant's case: the developer and the case's agencies.
        return AccessGrant.objects.select_related("case", "operator").filter(
            case__in=Submission.objects.visible_to(user).values("pk")
        )
    if purpose is GrantPurpose.VIEW:
        return (
            viewable_grants(user)
            .select_related("case__developer")
            .prefetch_related("case__artifacts", "artifacts")
        )
    if purpose is GrantPurpose.DOWNLOAD:
        return live_grants(user)
    # REPORT: the grant no longer needs to be visible (an ended grant's permission
    # is gone), only to the person's own organization.
    membership = getattr(user, "membership", None)
    if membership is None or membership.role not in Membership.OPERATOR_ROLES:
        return AccessGrant.objects.none()
    return AccessGrant.objects.select_related("case", "case__developer", "operator").filter(
        operator_id=membership.organization_id, status__in=REPORTABLE
    )


def get_report_or_404(user, pk) -> EvaluationReport:
    """A report this person may read (``readable_reports``)."""
    report = (
        readable_reports(user)
        .select_related("case", "case__developer", "operator", "author", "grant")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    return report
