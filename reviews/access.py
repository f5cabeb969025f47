"""Access helpers for reviewer pages: the object, or 404 alike for missing and out of reach."""

from django.http import Http404

from portal.accounts.models import Membership
from portal.cases.access import get_case_or_404
from portal.cases.models import Submission
from reviews.models import Assignment, Finding, InformationRequest


def get_workspace_case_or_404(user, pk) -> Submission:
    """A case in the workspace: for agency staff who can see it (coordinators of a
    routed agency, reviewers once they accepted)."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        raise Http404("No such case.")
    return get_case_or_404(
        user, pk, queryset=Submission.objects.select_related("developer", "contact_person")
    )


def get_own_assignment_or_404(user, assignment_id) -> Assignment:
    assignment = (
        Assignment.objects.select_related("case", "case__developer", "agency", "invited_by")
        .filter(pk=assignment_id, reviewer=user)
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def get_visible_assignment_or_404(user, assignment_id) -> Assignment:
    """An assignment on a case this person can see; 404 alike for missing and out of reach."""
    assignment = (
        Assignment.objects.filter(
            pk=assignment_id, case__in=Submission.objects.visible_to(user).values("pk")
        )
        .select_related("reviewer")
        .first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def get_finding_or_404(user, finding_id) -> Finding:
    finding = (
        Finding.objects.visible_to(user)
        .select_related("case", "agency")
        .filter(pk=finding_id)
        .first()
    )
    if finding is None:
        raise Http404("No such finding.")
    return finding


def get_request_or_404(user, request_id) -> InformationRequest:
    """An information request, for whoever may see its case (agency staff or the developer)."""
    request = (
        InformationRequest.objects.select_related("case", "asked_by")
        .filter(pk=request_id, case__in=Submission.objects.visible_to(user).values("pk"))
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    return request


def may_change_finding(user, finding) -> bool:
    """Whether to offer the update form; ``update_finding`` decides for real."""
    membership = getattr(user, "membership", None)
    return finding.author_id == user.pk or (
        membership is not None
        and membership.role == Membership.Role.COORDINATOR
        and membership.agency_id == finding.agency_id
    )
