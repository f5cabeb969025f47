"""Who may see and act on a case: its permission names and its access helper.

Grants go to groups (an agency's, an organization's) or to a person (an
assigned reviewer). Every grant and revocation is audited by the receivers in
``portal.accounts.receivers``. Views never check permissions by hand: they call an access
helper that returns the object or raises 404.
"""

from django.http import Http404

from portal.accounts.models import Membership
from portal.cases.models import Submission

VIEW_CASE = "cases.view_submission"
CHANGE_CASE = "cases.change_submission"
REVIEW_CASE = "cases.review_submission"
READ_OPERATOR_FINDINGS = "cases.read_operator_findings"


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
