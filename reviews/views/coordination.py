"""The lead agency and the participants: handing the lead on, the positions' deadline,
recording and amending a position.

Each action finds its case through an access helper (``reviews.access``): 404
for a person who cannot see the case, 403 for one who sees it from the wrong
side (a participant acting as the lead, or the lead as a participant). The
services decide the rest; a refusal comes back as a message and changes nothing.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from portal.accounts.models import Membership
from portal.accounts.roles import Role, role_required
from portal.core.forms import first_error
from portal.core.refusals import run_service
from reviews.access import get_lead_case_or_404, get_participant_case_or_404
from reviews.forms_positions import AmendmentForm, DeadlineForm, LeadForm, PositionForm
from reviews.models import Recommendation
from reviews.selectors import AgencyState
from reviews.services import positions as position_services
from reviews.views.requests import WORKING_STATUSES, section_url, workspace_url


@require_POST
@role_required(Role.COORDINATOR)
def hand_over_lead(request, pk):
    case = get_lead_case_or_404(request.user, pk)
    form = LeadForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(workspace_url(case.pk))
    agency = form.cleaned_data["agency"]
    return run_service(
        request,
        lambda: position_services.hand_over_lead(
            actor=request.user,
            case_id=case.pk,
            agency=agency,
            reason=form.cleaned_data["reason"],
        ),
        success=f"{agency.acronym} now leads the review. Its coordinators have been told.",
        redirect_to=workspace_url(case.pk),
    )


@require_POST
@role_required(Role.COORDINATOR)
def set_deadline(request, pk):
    case = get_lead_case_or_404(request.user, pk)
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("recommendation", case.pk))
    return run_service(
        request,
        lambda: position_services.set_response_deadline(
            actor=request.user, case_id=case.pk, deadline=form.cleaned_data["response_deadline"]
        ),
        success=lambda recommendation: (
            f"Positions are due {recommendation.response_deadline:%B %-d, %Y}. "
            "The participating agencies have been told."
        ),
        redirect_to=section_url("recommendation", case.pk),
    )


@require_POST
@role_required(Role.COORDINATOR)
def record_position(request, pk):
    case = get_participant_case_or_404(request.user, pk)
    form = PositionForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("recommendation", case.pk))
    return run_service(
        request,
        lambda: position_services.record_position(
            actor=request.user, case_id=case.pk, **form.cleaned_data
        ),
        success=lambda position: (
            f"Your agency's position is recorded: {position.get_stance_display().lower()}."
        ),
        redirect_to=section_url("recommendation", case.pk),
    )


@require_POST
@role_required(Role.COORDINATOR)
def amend_position(request, pk):
    case = get_participant_case_or_404(request.user, pk)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("recommendation", case.pk))
    return run_service(
        request,
        lambda: position_services.amend_position(
            actor=request.user, case_id=case.pk, **form.cleaned_data
        ),
        success="Your agency's position is amended. Everyone who read it has been told.",
        redirect_to=section_url("recommendation", case.pk),
    )


# --- what the pages show -------------------------------------------------------------------


def lead_context(request, case, states: list[AgencyState]) -> dict:
    """The overview's "hand the lead on" form, for a coordinator of the lead agency."""
    membership = request.user.membership
    may_hand_over = (
        membership.role == Membership.Role.COORDINATOR
        and membership.agency_id == case.lead_agency_id
        and case.status in (*WORKING_STATUSES, "submitted")
        and len(states) > 1
    )
    return {"lead_form": LeadForm(case=case) if may_hand_over else None}


def positions_context(
    request, case, recommendation: Recommendation | None, states: list[AgencyState]
) -> dict:
    """The recommendation section's positions: the table, and the forms this person may use."""
    membership = request.user.membership
    is_coordinator = membership.role == Membership.Role.COORDINATOR
    is_lead_coordinator = is_coordinator and membership.agency_id == case.lead_agency_id
    own = next((s for s in states if s.agency.pk == membership.agency_id), None)
    is_participant_coordinator = is_coordinator and own is not None and not own.is_lead
    drafted = recommendation is not None
    issued = recommendation is not None and recommendation.is_issued
    working = case.status in WORKING_STATUSES
    position = own.position if own else None
    initial = (
        {"stance": position.stance, "text": position.text, "marking": position.marking}
        if position and position.stance != position.Stance.NO_RESPONSE
        else None
    )
    return {
        "participants": [state for state in states if not state.is_lead],
        "deadline_form": (
            DeadlineForm(
                initial={"response_deadline": recommendation.response_deadline}
                if recommendation
                else None
            )
            if is_lead_coordinator and drafted and not issued and working
            else None
        ),
        "position_form": (
            PositionForm(initial=initial)
            if is_participant_coordinator and drafted and not issued and working
            else None
        ),
        "amendment_form": (
            AmendmentForm(initial=initial) if is_participant_coordinator and issued else None
        ),
        "own_position": position,
    }
