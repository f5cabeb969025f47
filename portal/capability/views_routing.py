"""Asking for a case and answering: a monitoring agency's coordinator asks the case's
lead agency to route the case to it; a coordinator of the lead agency accepts or declines.

The request page is reached from the benchmark's chart, for a case on the
frontier not routed to the person's agency (``access.get_frontier_case_or_404``:
404 for a case off the person's frontier). The answer is a form on the case's
workspace (``panels.routing_requests_panel``). Refusals come back as messages
and change nothing.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.roles import Role, role_required
from portal.capability import services
from portal.capability.access import (
    get_frontier_case_or_404,
    get_routing_request_to_answer_or_404,
)
from portal.capability.forms import RoutingAnswerForm, RoutingRequestForm
from portal.capability.models import RoutingRequest
from portal.core.refusals import REFUSALS, refusal_message, run_service


@require_http_methods(["GET", "POST"])
@role_required(Role.COORDINATOR, Role.REVIEWER)
def routing_request(request, pk):
    """The form: the case's frontier facts, the agency's open request if any, a reason."""
    if not services.may_ask_routing(request.user):
        raise PermissionDenied(
            "Only a coordinator of an agency that monitors capability jumps asks for cases."
        )
    case = get_frontier_case_or_404(request.user, pk)
    agency = request.user.membership.agency
    form = RoutingRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.request_routing(
                    actor=request.user, case_id=case.pk, reason=form.cleaned_data["reason"]
                )
            except REFUSALS as refusal:
                messages.error(request, refusal_message(refusal))
                status = 400
            else:
                messages.success(
                    request,
                    f"Asked {case.lead_agency.acronym if case.lead_agency else 'the lead agency'} "
                    f"to route {case.number} to {agency.acronym}. You will be told the answer.",
                )
                return redirect(_safe_back(request.GET.get("back", "")))
        else:
            status = 400
    return render(
        request,
        "portal/routing_request.html",
        {
            "case": case,
            "agency": agency,
            "form": form,
            "routed": case.routings.filter(agency=agency).exists(),
            "asked": RoutingRequest.objects.filter(
                case=case, agency=agency, status=RoutingRequest.Status.OPEN
            ).first(),
            "back": _safe_back(request.GET.get("back", "")),
        },
        status=status,
    )


def _safe_back(url: str) -> str:
    """Only a path of the Frontier goes back: never another host."""
    frontier = reverse("portal:frontier")
    return url if url.startswith(frontier) and "//" not in url else frontier


@require_POST
def routing_request_answer(request, request_id):
    """The lead's answer, from the workspace overview; back there either way."""
    routing_request = get_routing_request_to_answer_or_404(request.user, request_id)
    back = reverse("reviews:workspace", args=[routing_request.case_id])
    form = RoutingAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to accept or decline the request.")
        return redirect(back)
    accept = form.cleaned_data["decision"] == "accept"
    agency = routing_request.agency.acronym
    return run_service(
        request,
        lambda: services.answer_routing_request(
            actor=request.user,
            request_id=routing_request.pk,
            accept=accept,
            note=form.cleaned_data["note"],
        ),
        success=(
            f"Routed the case to {agency}; its coordinators were told."
            if accept
            else f"Declined {agency}'s request; its coordinator was told."
        ),
        redirect_to=back,
    )
