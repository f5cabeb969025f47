"""Granting, nominating, approving and revoking access; the case's download log.

Each view finds the case (``portal.cases.access.get_case_or_404``) or the grant
(``access.access.get_grant_or_404``) for what it means to do: 404 alike for
missing and out of reach, so an operator or another developer learns
nothing; 403 for a person who can see the case but may not make the change
(a coordinator granting, a submitter nominating). Changes go through
``access.services``; a refusal comes back as a message and changes nothing;
every answer returns to the Operator access section it came from (the
developer's case page; the workspace for a nomination).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from access import services
from access.access import GrantPurpose, get_grant_or_404
from access.forms_developer import GrantForm, NominationForm, RevokeForm
from access.models import grant_downloads
from portal.accounts.session_policy import recent_auth_required
from portal.cases.access import CasePurpose, get_case_or_404
from portal.core.forms import consequence_understood, first_error
from portal.core.refusals import run_service

DOWNLOADS_PER_PAGE = 50
# Revoking (or declining) cannot be undone: it needs its "I understand" box.
REVOKE_UNDERSTOOD = (
    "Access did not change. Revoking cannot be undone: the operator loses access on their "
    "next request, and only a new grant gives it back. Tick “I understand” to revoke it."
)


def _case_access(case_id) -> str:
    """The Operator access section of the developer's case page, where its forms return."""
    return reverse("portal:case_section", args=[case_id, "access"])


def _workspace_access(case_id) -> str:
    """The Operator access section of the agencies' workspace, where coordinators nominate.

    A URL name, not an import: ``reviews`` is no layer of ``access``'s.
    """
    return reverse("reviews:case_section", args=[case_id, "access"])


@require_POST
@recent_auth_required
def grant(request, case_id):
    case = get_case_or_404(request.user, case_id, purpose=CasePurpose.CHANGE)
    form = GrantForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(_case_access(case.pk))
    arguments = form.service_arguments()
    return run_service(
        request,
        lambda: services.grant_access(actor=request.user, case_id=case.pk, **arguments),
        success=f"{arguments['operator']} has access to the case. Their security team was told.",
        redirect_to=_case_access(case.pk),
    )


@require_POST
def nominate(request, case_id):
    case = get_case_or_404(request.user, case_id, purpose=CasePurpose.COORDINATE)
    form = NominationForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(_workspace_access(case.pk))
    operator = form.cleaned_data["operator"]
    return run_service(
        request,
        lambda: services.nominate_access(
            actor=request.user,
            case_id=case.pk,
            operator=operator,
            ends_at=form.cleaned_data["ends_at"],
        ),
        success=f"{operator} nominated. The developer decides whether to grant access.",
        redirect_to=_workspace_access(case.pk),
    )


@require_POST
@recent_auth_required
def approve(request, grant_id):
    access_grant = get_grant_or_404(request.user, grant_id, purpose=GrantPurpose.MANAGE)
    return run_service(
        request,
        lambda: services.approve_nomination(actor=request.user, grant_id=access_grant.pk),
        success=f"{access_grant.operator} has access now. Their security team was told.",
        redirect_to=_case_access(access_grant.case_id),
    )


@require_POST
@recent_auth_required
def revoke(request, grant_id):
    access_grant = get_grant_or_404(request.user, grant_id, purpose=GrantPurpose.MANAGE)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for revoking access.")
        return redirect(_case_access(access_grant.case_id))
    if not consequence_understood(request.POST):
        messages.error(request, REVOKE_UNDERSTOOD)
        return redirect(_case_access(access_grant.case_id))
    return run_service(
        request,
        lambda: services.revoke_access(
            actor=request.user, grant_id=access_grant.pk, reason=form.cleaned_data["reason"]
        ),
        success=f"Access for {access_grant.operator} is closed. Their next request is refused.",
        redirect_to=_case_access(access_grant.case_id),
    )


@require_GET
def case_downloads(request, case_id):
    """Every download request of the case's artifacts, for the developer and the agencies."""
    case = get_case_or_404(request.user, case_id, purpose=CasePurpose.OVERSEE)
    events = grant_downloads().filter(case_id=case.pk).order_by("-created_at", "-pk")
    page = Paginator(events, DOWNLOADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "access/case_downloads.html", {"case": case, "page": page})
