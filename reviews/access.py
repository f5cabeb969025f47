"""Access helpers for review pages: the object, or 404 alike for missing and out of reach.

Views find every case, assignment, finding and information request here and
never check a permission themselves. Who sees an object but may not do what
the view does gets 403 where that is said below.
"""

from enum import Enum

from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.accounts.models import Membership
from portal.cases.access import get_case_or_404, is_developer_member, with_review_grant
from portal.cases.models import Submission
from reviews.models import Assignment, Finding, InformationRequest
from reviews.selectors import active_assignment


def get_workspace_case_or_404(
    user, pk, *, working: bool = False, reading_artifacts: bool = False
) -> Submission:
    """A case in the workspace: for agency staff who can see it (coordinators of a
    routed agency, reviewers once they accepted).

    ``working``: only for the case's accepted lead and reviewers, who record
    findings and scores; others who see the case (observers, coordinators) get 403.
    ``reading_artifacts``: the case comes with whether the person may download its
    artifacts (``portal.cases.access.with_review_grant``, read by ``may_read_artifacts``).
    """
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        raise Http404("No such case.")
    queryset = Submission.objects.select_related(
        "developer", "contact_person", "lead_agency"
    ).with_pause_start()
    if reading_artifacts:
        queryset = with_review_grant(queryset, user)
    case = get_case_or_404(user, pk, queryset=queryset)
    if working:
        assignment = active_assignment(user, case)
        if assignment is None or assignment.role == Assignment.Role.OBSERVER:
            raise PermissionDenied("Only the case's assigned reviewers record findings.")
    return case


def get_lead_case_or_404(user, pk) -> Submission:
    """A case in the workspace, for the staff of its lead agency, who draft, edit and issue
    its recommendation, set the positions' deadline and hand the lead on.

    Staff of a participating agency see the case but get 403: the joint
    recommendation is the lead's to write. Everyone else gets 404.
    """
    case = get_workspace_case_or_404(user, pk)
    if user.membership.agency_id != case.lead_agency_id:
        raise PermissionDenied("Only the lead agency drafts and issues the recommendation.")
    return case


def get_participant_case_or_404(user, pk) -> Submission:
    """A case in the workspace, for the staff of a participating agency (routed, not
    the lead), who record its position. The lead agency's staff get 403; 404 for the rest."""
    case = get_workspace_case_or_404(user, pk)
    if user.membership.agency_id == case.lead_agency_id:
        raise PermissionDenied("The lead agency issues the recommendation; it records no position.")
    return case


class AssignmentPurpose(Enum):
    """What the person means to do with an assignment; everyone else gets 404."""

    WORK = "work"  # the reviewer it was given to: answer the invitation, complete it
    MANAGE = "manage"  # whoever sees its case (its coordinators): remove it, move its due date


def get_assignment_or_404(user, pk, *, purpose: AssignmentPurpose) -> Assignment:
    if purpose is AssignmentPurpose.WORK:
        assignments = Assignment.objects.filter(reviewer=user).select_related(
            "case", "case__developer", "agency", "invited_by"
        )
    else:
        assignments = Assignment.objects.filter(
            case__in=Submission.objects.visible_to(user).values("pk")
        ).select_related("reviewer")
    assignment = assignments.filter(pk=pk).first()
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


class RequestAudience(Enum):
    """Who an information request is looked up for; everyone else gets 404."""

    AGENCY = "agency"  # agency staff on the case: withdraw it
    DEVELOPER = "developer"  # the developer it was put to: answer it
    READERS = "readers"  # both: read it and its answer's files (never an operator)


def get_request_or_404(user, pk, *, audience: RequestAudience) -> InformationRequest:
    """An information request on a case this person can see, if they are of ``audience``."""
    info_request = (
        InformationRequest.objects.select_related("case", "asked_by")
        .filter(pk=pk, case__in=Submission.objects.visible_to(user).values("pk"))
        .first()
    )
    if info_request is None:
        raise Http404("No such request.")
    membership = getattr(user, "membership", None)
    is_agency_staff = membership is not None and membership.agency_id is not None
    is_developer = is_developer_member(user, info_request.case)
    allowed = {
        RequestAudience.AGENCY: is_agency_staff,
        RequestAudience.DEVELOPER: is_developer,
        RequestAudience.READERS: is_agency_staff or is_developer,
    }[audience]
    if not allowed:
        raise Http404("No such request.")
    return info_request


def may_change_finding(user, finding) -> bool:
    """Whether to offer the update form; ``update_finding`` decides for real."""
    membership = getattr(user, "membership", None)
    return finding.author_id == user.pk or (
        membership is not None
        and membership.role == Membership.Role.COORDINATOR
        and membership.agency_id == finding.agency_id
    )
