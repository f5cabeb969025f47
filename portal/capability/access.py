"""The access helpers of capability monitoring: the object, or 404 alike for missing and not yours.

A case on the frontier is reached through ``selectors.frontier_cases`` (a
monitoring agency reaches every submitted case's frontier, never the case's
own pages); a routing request through its case as the person sees it
(``Submission.objects.visible_to``), so the requesting agency, the developer
and everyone the case is not routed to get 404, and agency staff who see the
case but do not coordinate its lead agency get 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.accounts.models import Membership
from portal.capability.models import RoutingRequest
from portal.capability.selectors import frontier_cases
from portal.cases.models import Submission


def get_frontier_case_or_404(user, pk: int) -> Submission:
    case = frontier_cases(user).select_related("developer", "lead_agency").filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    return case


def get_routing_request_to_answer_or_404(user, request_id: int) -> RoutingRequest:
    """The request, for a coordinator of its case's lead agency; 403 for other agency staff
    on the case; 404 for everyone else."""
    visible = Submission.objects.visible_to(user).values("pk")
    routing_request = (
        RoutingRequest.objects.filter(pk=request_id, case__in=visible)
        .select_related("case", "agency")
        .first()
    )
    if routing_request is None or not user.is_agency_staff:
        raise Http404("No such request.")
    membership = user.membership
    if (
        membership.role != Membership.Role.COORDINATOR
        or membership.agency_id != routing_request.case.lead_agency_id
    ):
        raise PermissionDenied("Only a coordinator of the lead agency answers this request.")
    return routing_request
