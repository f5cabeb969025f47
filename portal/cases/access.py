"""Who may see and act on a case: its permission names and its access helper.

Grants go to groups (an agency's, an organization's) or to a person (an
assigned reviewer). Every grant and revocation is audited by the receivers in
``portal.accounts.receivers``. Views never check permissions by hand: they call an access
helper that returns the object or raises 404 (403 for a person who sees the
case but may not act for the purpose given).
"""

from enum import Enum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from portal.accounts.models import Membership
from portal.cases.models import (
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)

VIEW_CASE = "cases.view_submission"
CHANGE_CASE = "cases.change_submission"
REVIEW_CASE = "cases.review_submission"
READ_OPERATOR_FINDINGS = "cases.read_operator_findings"


class CasePurpose(Enum):
    """What the person means to do with the case, and so who may.

    Whoever cannot see the case gets 404, whatever the purpose. Who sees it but
    may not act for this purpose gets 403, except for ``OVERSEE``, whose
    pages are not for anyone else's eyes (404).
    """

    VIEW = "view"  # read the case page
    CHANGE = "change"  # the developer's submitters and organization admins
    COORDINATE = "coordinate"  # coordinators of an agency the case is routed to
    READ_ARTIFACTS = "read artifacts"  # the developer's people and the case's working reviewers
    OVERSEE = "oversee"  # the developer's people and agency staff (the download log)


def get_case_or_404(user, pk, *, purpose=CasePurpose.VIEW, queryset=None) -> Submission:
    """The case if this person may see it and act for ``purpose``; 404 alike for
    missing and not theirs."""
    queryset = queryset if queryset is not None else Submission.objects.all()
    case = queryset.visible_to(user).filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    if purpose is CasePurpose.CHANGE and not is_developer_member(user, case):
        raise PermissionDenied("Only the developer's submitters can change this case.")
    if purpose is CasePurpose.COORDINATE and not is_routed_coordinator(user, case):
        raise PermissionDenied("Only a coordinator of an agency on the case can do this.")
    if purpose is CasePurpose.READ_ARTIFACTS and not may_read_artifacts(user, case):
        raise PermissionDenied("Only the developer and assigned reviewers download artifacts.")
    if purpose is CasePurpose.OVERSEE and not (
        is_developer_member(user, case) or user.is_agency_staff
    ):
        raise Http404("No such case.")
    return case


def is_developer_member(user, case: Submission) -> bool:
    """A submitter or organization admin of the case's developer."""
    membership = getattr(user, "membership", None)
    return (
        membership is not None
        and membership.organization_id == case.developer_id
        and membership.role in Membership.DEVELOPER_ROLES
    )


def routed_agency_membership(user, case: Submission) -> Membership | None:
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        return None
    if not case.routings.filter(agency_id=membership.agency_id).exists():
        return None
    return membership


def is_routed_coordinator(user, case: Submission) -> bool:
    membership = routed_agency_membership(user, case)
    return membership is not None and membership.role == Membership.Role.COORDINATOR


def may_read_artifacts(user, case: Submission) -> bool:
    """The developer's people, and the case's working reviewers (an accepted assignment).

    On a case read ``with_review_grant`` the grant comes with the case (no
    query); otherwise guardian looks it up.
    """
    if is_developer_member(user, case):
        return True
    granted = vars(case).get("review_granted")
    if granted is None:
        return user.has_perm(REVIEW_CASE, case)
    # As ``User.has_perm``: an active superuser holds every permission.
    return user.is_active and (user.is_superuser or granted)


def with_review_grant(queryset, user):
    """Each case with ``review_granted``: whether ``user`` holds ``REVIEW_CASE`` on it
    (directly or through a group), as guardian would say, in the cases' own query."""
    from portal.accounts.visibility import with_object_perm

    granted = with_object_perm(
        Submission.objects.filter(pk=OuterRef("pk")),
        user,
        REVIEW_CASE.partition(".")[2],
        SubmissionUserObjectPermission,
        SubmissionGroupObjectPermission,
        probe=True,
    )
    return queryset.annotate(review_granted=Exists(granted))
