"""The reviewer's side: my cases, invitations with the conflict attestation, completing."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.roles import Role, role_required
from portal.core.links import link_maker
from portal.core.pagination import CountedPaginator
from portal.core.refusals import run_service
from reviews.access import AssignmentPurpose, get_assignment_or_404
from reviews.filters import ReviewerCaseFilter
from reviews.forms_reviewer import RespondForm
from reviews.models import Assignment, Severity
from reviews.rows import invitation_item, my_case_row
from reviews.selectors import (
    held_assignments,
    reviewer_developers,
    reviewer_invitations,
    reviewer_queue,
)
from reviews.services import assignments as assignment_services
from reviews.services.base import ReviewActionRefused

PAGE_SIZE = 25
INVITATIONS_SHOWN = 5


@require_GET
@role_required(Role.REVIEWER)
def my_cases(request):
    # The reviewer's current assignments by status, from their index: how many
    # invitations wait and, unfiltered, the list's total (one row per assignment).
    held = held_assignments(request.user)
    queue = reviewer_queue(request.user)
    case_filter = ReviewerCaseFilter(
        request.GET,
        queryset=queue,
        developers=reviewer_developers(request.user, held["version"]),
    )
    # Bad filter values are shown as form errors, with no list rather than a wrong one.
    cases = case_filter.qs if case_filter.is_valid() else queue.none()
    known = sum(held["counts"].values()) if case_filter.shows_every_case() else None
    page = CountedPaginator(cases, PAGE_SIZE, known_count=known).get_page(request.GET.get("page"))
    # Each row, written once in Python (reviews.rows), with its links.
    csrf = csrf_input(request)
    respond_url = link_maker("reviews:assignment_respond")
    workspace_url = link_maker("reviews:workspace")
    complete_url = link_maker("reviews:assignment_complete")
    for case in page.object_list:
        case.top_severity_label = Severity(case.top_severity).label if case.top_severity else ""
        if case.my_status == Assignment.Status.INVITED:
            case.respond_url = respond_url(case.my_assignment_id)
        else:
            case.workspace_url = workspace_url(case.pk)
        if case.my_status == Assignment.Status.ACCEPTED:
            case.complete_url = complete_url(case.my_assignment_id)
        case.row = my_case_row(case, csrf)
    # The soonest few invitations up top; all of them are in the list below
    # (filter "Awaiting my answer"), so the page stays short however many wait.
    invitation_count = held["counts"].get(Assignment.Status.INVITED, 0)
    invitations = (
        list(reviewer_invitations(request.user)[:INVITATIONS_SHOWN]) if invitation_count else []
    )
    for invitation in invitations:
        invitation.item = invitation_item(invitation, respond_url(invitation.pk))
    return render(
        request,
        "reviews/my_cases.html",
        {
            "filter": case_filter,
            "page": page,
            "total": page.paginator.count,
            "invitations": invitations,
            "invitation_count": invitation_count,
        },
    )


@require_http_methods(["GET", "POST"])
def respond(request, assignment_id):
    """Only the invited reviewer sees this page; anyone else gets 404."""
    assignment = get_assignment_or_404(request.user, assignment_id, purpose=AssignmentPurpose.WORK)
    answered = assignment.status != Assignment.Status.INVITED
    form = RespondForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assignment = assignment_services.respond_to_invitation(
                actor=request.user,
                assignment_id=assignment.pk,
                accept=data["decision"] == "accept",
                financial_interest=data["financial_interest"],
                recent_employment=data["recent_employment"],
                other_conflict=data["other_conflict"],
                decline_reason=data["decline_reason"],
            )
        except ReviewActionRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("reviews:assignment_respond", assignment.pk)
        case = assignment.case
        if assignment.status == Assignment.Status.ACCEPTED:
            messages.success(request, f"You accepted {case.reference}. Its workspace is open.")
            return redirect("reviews:workspace", case.pk)
        if assignment.declared_conflict:
            messages.warning(
                request,
                f"You declared a conflict of interest: the invitation to {case.reference} is "
                "declined and your agency's coordinators have been told.",
            )
        else:
            messages.info(request, f"You declined the invitation to {case.reference}.")
        return redirect("reviews:my_cases")
    if request.method == "POST" and answered:
        # An invalid form for an answered invitation: say why nothing can change.
        messages.error(
            request,
            f"This invitation was already answered ({assignment.get_status_display().lower()}).",
        )
        return redirect("reviews:assignment_respond", assignment.pk)
    return render(
        request,
        "reviews/respond.html",
        {"assignment": assignment, "case": assignment.case, "form": form, "answered": answered},
        status=400 if form.is_bound else 200,
    )


@require_POST
def complete(request, assignment_id):
    assignment = get_assignment_or_404(request.user, assignment_id, purpose=AssignmentPurpose.WORK)
    return run_service(
        request,
        lambda: assignment_services.complete_assignment(
            actor=request.user, assignment_id=assignment.pk
        ),
        success=(
            f"Your review of {assignment.case.reference} is complete. You can still read the case."
        ),
        redirect_to=reverse("reviews:my_cases"),
    )
