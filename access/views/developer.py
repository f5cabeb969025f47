"""Granting, nominating, approving and revoking access; the case's download log.

Each view finds the case (or the grant, through its case) with the case's own
access helper: 404 alike for missing and out of reach, so an operator or
another developer learns nothing. A person who can see the case but may not
make the change (a coordinator granting, a submitter nominating) gets 403.
Changes go through ``access.services``; a refusal comes back as a message and
changes nothing; every answer returns to the case page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from access import services
from access.forms_developer import GrantForm, NominationForm, RevokeForm
from access.models import AccessGrant, grant_downloads
from portal.accounts.session_policy import recent_auth_required
from portal.cases.access import get_case_or_404, is_developer_member, is_routed_coordinator
from portal.cases.models import Submission
from portal.cases.services.lifecycle import CaseActionRefused

DOWNLOADS_PER_PAGE = 50


def _back_to_case(case_id):
    return redirect(reverse("portal:case_detail", args=[case_id]) + "#access")


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return "The form is not valid."


def _run(request, case_id, action, success_message):
    """Run a service call; show its refusal or the success message, back on the case."""
    try:
        action()
    except CaseActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, success_message)
    return _back_to_case(case_id)


def _developer_case(request, case_id) -> Submission:
    case = get_case_or_404(request.user, case_id)
    if not is_developer_member(request.user, case):
        raise PermissionDenied("Only the developer's submitters can change access to the case.")
    return case


def _grant_of_visible_case_or_404(user, grant_id) -> AccessGrant:
    """A grant, for whoever may see its case (the developer, the case's agencies)."""
    access_grant = (
        AccessGrant.objects.select_related("case", "operator")
        .filter(pk=grant_id, case__in=Submission.objects.visible_to(user).values("pk"))
        .first()
    )
    if access_grant is None:
        raise Http404("No such grant.")
    return access_grant


def _developer_grant(request, grant_id) -> AccessGrant:
    access_grant = _grant_of_visible_case_or_404(request.user, grant_id)
    if not is_developer_member(request.user, access_grant.case):
        raise PermissionDenied("Only the developer's submitters can change access to the case.")
    return access_grant


@require_POST
@recent_auth_required
def grant(request, case_id):
    case = _developer_case(request, case_id)
    form = GrantForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_case(case.pk)
    arguments = form.service_arguments()
    return _run(
        request,
        case.pk,
        lambda: services.grant_access(actor=request.user, case_id=case.pk, **arguments),
        f"{arguments['operator']} has access to the case. Their security team was told.",
    )


@require_POST
def nominate(request, case_id):
    case = get_case_or_404(request.user, case_id)
    if not is_routed_coordinator(request.user, case):
        raise PermissionDenied("Only a coordinator of an agency on the case can nominate.")
    form = NominationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_case(case.pk)
    operator = form.cleaned_data["operator"]
    return _run(
        request,
        case.pk,
        lambda: services.nominate_access(
            actor=request.user,
            case_id=case.pk,
            operator=operator,
            ends_at=form.cleaned_data["ends_at"],
        ),
        f"{operator} nominated. The developer decides whether to grant access.",
    )


@require_POST
@recent_auth_required
def approve(request, grant_id):
    access_grant = _developer_grant(request, grant_id)
    return _run(
        request,
        access_grant.case_id,
        lambda: services.approve_nomination(actor=request.user, grant_id=access_grant.pk),
        f"{access_grant.operator} has access now. Their security team was told.",
    )


@require_POST
@recent_auth_required
def revoke(request, grant_id):
    access_grant = _developer_grant(request, grant_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for revoking access.")
        return _back_to_case(access_grant.case_id)
    return _run(
        request,
        access_grant.case_id,
        lambda: services.revoke_access(
            actor=request.user, grant_id=access_grant.pk, reason=form.cleaned_data["reason"]
        ),
        f"Access for {access_grant.operator} is closed. Their next request is refused.",
    )


@require_GET
def case_downloads(request, case_id):
    """Every download request of the case's artifacts, for the developer and the agencies."""
    case = get_case_or_404(request.user, case_id)
    if not (is_developer_member(request.user, case) or request.user.is_agency_staff):
        raise Http404("No such case.")
    events = grant_downloads().filter(case_id=case.pk).order_by("-created_at", "-pk")
    page = Paginator(events, DOWNLOADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "access/case_downloads.html", {"case": case, "page": page})
