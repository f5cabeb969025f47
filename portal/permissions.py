"""Object permissions on cases, through django-guardian.

Grants go to groups (an agency's, an organization's) or to a person (an
assigned reviewer). Every grant and revocation is audited by the receivers in
``portal.signals``. Views never check permissions by hand: they call an access
helper that returns the object or raises 404.
"""

from django.contrib.auth.models import Group
from django.db.models import Model
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from portal.models import Membership, Submission, User

VIEW_CASE = "portal.view_submission"
CHANGE_CASE = "portal.change_submission"
REVIEW_CASE = "portal.review_submission"
READ_OPERATOR_FINDINGS = "portal.read_operator_findings"


def _check_single(holder, obj) -> None:
    # guardian also takes lists and querysets, but its bulk paths send no
    # signals and so would escape the audit log: one holder, one object here.
    if not isinstance(holder, User | Group) or not isinstance(obj, Model):
        raise TypeError("grant() and revoke() take one person or group and one object")


def grant(perm: str, holder, obj) -> None:
    _check_single(holder, obj)
    assign_perm(perm, holder, obj)


def revoke(perm: str, holder, obj) -> None:
    _check_single(holder, obj)
    remove_perm(perm, holder, obj)


def get_case_or_404(user, pk, *, queryset=None) -> Submission:
    """The case if this person may see it; 404 alike for missing and not theirs."""
    queryset = queryset if queryset is not None else Submission.objects.all()
    case = queryset.visible_to(user).filter(pk=pk).first()
    if case is None:
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
