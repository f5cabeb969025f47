"""The coordinator's side: the agency queue, assignments and routing.

The queue is one queryset (``reviews.selectors.coordinator_queue``); the
actions find their case or assignment among the cases the coordinator can see
(404 alike for missing and out of reach) and change it only through the
services. A refusal comes back as a message on the workspace and changes nothing.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.models import Membership
from portal.accounts.roles import Role, role_required
from portal.cases.services import lifecycle as case_services
from portal.core.days import days_until
from portal.core.links import link_maker
from portal.core.pagination import CountedPaginator
from portal.core.refusals import run_service
from reviews.access import AssignmentPurpose, get_assignment_or_404, get_workspace_case_or_404
from reviews.forms_coordinator import AssignForm, DueDateForm, QueueFilter, RouteForm
from reviews.models import Assignment, Severity
from reviews.rows import queue_row
from reviews.selectors import (
    cached_queue_counts,
    case_assignments,
    coordinator_cases,
    is_routed_agency,
    needs_reviewer,
    queue_routings,
    reviewer_loads,
)
from reviews.services import assignments as assignment_services
from reviews.views.requests import section_url

QUEUE_PAGE_SIZE = 25


@require_GET
@role_required(Role.COORDINATOR)
def agency_queue(request):
    agency = request.user.membership.agency
    routings = queue_routings(agency.pk)
    queue_filter = QueueFilter(request.GET, queryset=routings)
    # A filter the form refuses (a made-up status) shows nothing, with its error.
    shown = queue_filter.qs if queue_filter.is_valid() else routings.none()
    # The agency's open work at a glance, whatever the filters show: one query,
    # kept in the cache until a write changes a count (reviews.loads).
    counts = cached_queue_counts(agency.pk)
    # Unfiltered, the list is exactly the open cases just counted: no second count.
    known = counts["open"] if queue_filter.shows_open_cases_only() else None
    page = CountedPaginator(
        shown.values_list("case_id", flat=True), QUEUE_PAGE_SIZE, known_count=known
    ).get_page(request.GET.get("page"))
    # Then the page's cases themselves, each row written once in Python (reviews.rows).
    page.object_list = coordinator_cases(request.user, list(page.object_list))
    today = timezone.localdate()
    workspace_link = link_maker("reviews:workspace")
    for case in page.object_list:
        case.days_left = days_until(case.review_due, now=today) if case.review_due else None
        case.days_overdue = max(0, -case.days_left) if case.days_left is not None else 0
        if case.review_due:
            case.review_due_text = case.review_due.isoformat()
            case.due_hint = due_hint(case)
        case.needs_reviewer = needs_reviewer(case.status, case.reviewer_count)
        case.top_severity_label = Severity(case.top_severity).label if case.top_severity else ""
        case.workspace_url = workspace_link(case.pk)
        case.row = queue_row(case)
    return render(
        request,
        "reviews/agency_queue.html",
        {
            "agency": agency,
            "filter": queue_filter,
            "page": page,
            "total": page.paginator.count,
            "counts": counts,
        },
    )


def due_hint(case) -> str:
    """Under a queue row's due date: paused, days overdue or days left."""
    if case.clock_paused:
        return "paused"
    if case.days_overdue:
        return f"{case.days_overdue} day{pluralize(case.days_overdue)} overdue"
    return f"{case.days_left} day{pluralize(case.days_left)} left"


@require_GET
@role_required(Role.COORDINATOR)
def agency_reviewers(request):
    """The agency's active reviewers and the open work each one holds (two queries)."""
    agency = request.user.membership.agency
    return render(
        request,
        "reviews/agency_reviewers.html",
        {"agency": agency, "reviewers": reviewer_loads(agency.pk)},
    )


# --- the reviewers section of the workspace ---------------------------------------------


def assignments_context(request, case) -> dict:
    """The reviewers section: everyone who sees the workspace sees who reviews the
    case; the coordinators of the case's agencies also get the forms to manage their
    own agency's part.

    A declared conflict shows as yes or no: what was declared stays with the record.
    """
    assignments = case_assignments(case)
    context = {
        "assignments": assignments,
        "manages_assignments": False,
        # The case header's reviewers, from the same list.
        "header_assignments": [a for a in assignments if a.status in Assignment.ACTIVE],
    }
    membership = request.user.membership
    if membership.role != Membership.Role.COORDINATOR or not is_routed_agency(
        case, membership.agency_id
    ):
        return context
    for assignment in assignments:
        assignment.manageable = (
            assignment.agency_id == membership.agency_id and assignment.status in Assignment.ACTIVE
        )
    context |= {
        "manages_assignments": True,
        "route_form": RouteForm(case=case) if not (case.is_draft or case.is_closed) else None,
        "assign_form": (
            AssignForm(case=case, agency_id=membership.agency_id)
            if case.status in assignment_services.REVIEWABLE
            else None
        ),
        "today": timezone.localdate(),
    }
    return context


def reviewers_url(case_id) -> str:
    """The workspace's reviewers section, where the coordinator's forms return."""
    return section_url("reviewers", case_id)


def _warn_after_release(request, case, due_date) -> None:
    """A due date after the planned release is allowed, and said out loud.

    Not a refusal: the release date is the developer's and can move again, the
    review's findings still matter after release, and only the coordinator
    knows whether a later date is the honest one.
    """
    if case.planned_release_date and due_date > case.planned_release_date:
        messages.warning(
            request,
            f"The due date {due_date:%B %-d, %Y} falls after the planned public release "
            f"({case.planned_release_date:%B %-d, %Y}): the review may come too late.",
        )


def _refuse_form(request, form) -> None:
    for field, errors in form.errors.items():
        label = form[field].label if field in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_POST
@role_required(Role.COORDINATOR)
def assign(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = AssignForm(request.POST, case=case, agency_id=request.user.membership.agency_id)
    if not form.is_valid():
        _refuse_form(request, form)
        return redirect(reviewers_url(case.pk))
    return run_service(
        request,
        lambda: assignment_services.assign_reviewer(
            actor=request.user,
            case_id=case.pk,
            reviewer=form.cleaned_data["reviewer"],
            role=form.cleaned_data["role"],
            due_date=form.cleaned_data["due_date"],
        ),
        success=lambda assignment: (
            _warn_after_release(request, case, assignment.due_date)
            or f"{assignment.reviewer.display_name()} is invited as "
            f"{assignment.get_role_display().lower()}, due {assignment.due_date:%B %-d, %Y}."
        ),
        redirect_to=reviewers_url(case.pk),
    )


@require_POST
@role_required(Role.COORDINATOR)
def route(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = RouteForm(request.POST, case=case)
    if not form.is_valid():
        _refuse_form(request, form)
        return redirect(reviewers_url(case.pk))
    agency = form.cleaned_data["agency"]
    return run_service(
        request,
        lambda: case_services.route_case(actor=request.user, case_id=case.pk, agency=agency),
        success=f"The case is routed to {agency} too.",
        redirect_to=reviewers_url(case.pk),
    )


@require_POST
@role_required(Role.COORDINATOR)
def remove(request, assignment_id):
    assignment = get_assignment_or_404(
        request.user, assignment_id, purpose=AssignmentPurpose.MANAGE
    )
    return run_service(
        request,
        lambda: assignment_services.remove_assignment(
            actor=request.user, assignment_id=assignment.pk
        ),
        success=f"{assignment.reviewer.display_name()} is removed from the case.",
        redirect_to=reviewers_url(assignment.case_id),
    )


@require_POST
@role_required(Role.COORDINATOR)
def change_due(request, assignment_id):
    assignment = get_assignment_or_404(
        request.user, assignment_id, purpose=AssignmentPurpose.MANAGE
    )
    form = DueDateForm(request.POST)
    if not form.is_valid():
        _refuse_form(request, form)
        return redirect(reviewers_url(assignment.case_id))
    return run_service(
        request,
        lambda: assignment_services.change_due_date(
            actor=request.user,
            assignment_id=assignment.pk,
            due_date=form.cleaned_data["due_date"],
        ),
        success=lambda changed: (
            _warn_after_release(request, assignment.case, changed.due_date)
            or f"{assignment.reviewer.display_name()} is now due {changed.due_date:%B %-d, %Y}."
        ),
        redirect_to=reviewers_url(assignment.case_id),
    )
