"""Open routing requests on the workspace overview, for the lead agency's coordinators.

A monitoring agency asks the case's lead agency to route the case to it
(``portal.capability.services.request_routing``); the lead's coordinators see
each open request here, with the reason, and accept or decline it. Nobody
else sees the panel: not the developer, not a participating agency, not the
lead's reviewers.
"""

from portal.capability.forms import RoutingAnswerForm
from portal.capability.selectors import open_requests_for_lead
from portal.core.hooks import WORKSPACE, case_panel


@case_panel(15, pages=(WORKSPACE,))
def routing_requests_panel(request, case):
    if case.is_draft or not getattr(request.user, "is_agency_staff", False):
        return None
    open_requests = list(open_requests_for_lead(request.user, case))
    if not open_requests:
        return None
    return "portal/routing_requests_panel.html", {
        "requests": open_requests,
        "form": RoutingAnswerForm(),
    }
