"""The case workspace: everything about a case for the agencies reviewing it.

The workspace is a set of sections, each its own page with its own URL (the
overview keeps the workspace's URL). Each section builds only its own context,
from its module's ``*_context`` function, so each page's SQL stays a fixed set
of queries, whatever the number of findings, requests or reviewers.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal.audit.models import AuditEvent
from portal.cases.access import may_read_artifacts
from portal.core.hooks import WORKSPACE, case_sections, render_case_panels
from portal.core.nonces import issue_nonce
from portal.core.templatetags.portal_tags import timeline_label
from portal.discussions.views import case_threads_context
from reviews.access import get_workspace_case_or_404, may_change_finding
from reviews.forms_reviewer import FindingForm
from reviews.models import Assignment, Finding, FindingEvidence, Severity
from reviews.selectors import accepted_assignment_in, agency_states, case_assignments
from reviews.views import coordination, coordinator, requests, scores

CASE_TIMELINE_PREFIXES = ("case.", "artifact.", "eval.")
REVIEW_TIMELINE_LABELS = {
    "assignment.invited": "Reviewer invited",
    "assignment.accepted": "Reviewer accepted",
    "assignment.declined": "Reviewer declined",
    "assignment.conflict_declared": "Reviewer declared a conflict of interest",
    "assignment.removed": "Reviewer removed",
    "assignment.completed": "Reviewer completed their review",
    "assignment.due_changed": "Reviewer's due date changed",
    "finding.recorded": "Finding recorded",
    "finding.changed": "Finding updated",
    "request.opened": "Information requested",
    "request.answered": "Information request answered",
    "request.withdrawn": "Information request withdrawn",
    "recommendation.drafted": "Recommendation drafted",
    "recommendation.issued": "Recommendation issued",
    "recommendation.deadline_set": "Positions' response deadline set",
    "position.recorded": "Agency position recorded",
    "position.amended": "Agency position amended",
    "position.no_response": "Agency recorded as no response",
    "capability.jump_flagged": "Capability jump flagged",
    "score.measured": "Government-measured score recorded",
}


# The workspace's own sections, in the side navigation's order: (key, label, URL name).
# The sections other apps add (portal.core.hooks.case_panel) come before the timeline.
SECTIONS = (
    ("overview", "Overview", "reviews:workspace"),
    ("reviewers", "Reviewers", "reviews:case_reviewers"),
    ("findings", "Findings", "reviews:case_findings"),
    ("requests", "Information requests", "reviews:case_requests"),
    ("scores", "Scores", "reviews:case_scores"),
    ("artifacts", "Artifacts", "reviews:case_artifacts"),
    ("recommendation", "Recommendation", "reviews:case_recommendation"),
    ("discussion", "Discussion", "reviews:case_discussion"),
    ("timeline", "Timeline", "reviews:case_timeline"),
)


def navigation(user, case) -> list[dict]:
    """The side navigation: the workspace's sections, and before the timeline those apps add."""
    own = [
        {"key": key, "label": label, "url": reverse(url_name, args=[case.pk])}
        for key, label, url_name in SECTIONS
    ]
    added = [
        {
            "key": added.key,
            "label": added.title,
            "url": reverse("reviews:case_section", args=[case.pk, added.key]),
        }
        for added in case_sections(WORKSPACE, user, case)
    ]
    return own[:-1] + added + own[-1:]


def render_section(request, case, section: str, context: dict, *, status=200, template=""):
    """One section of the workspace, under the case header and beside the side navigation.

    The header (reviews/partials/case_header.html) costs the same two queries on
    every section (the case's routings and assignments, each read once per request
    and shared with the section: ``case_routings``, ``case_assignments``; its clock
    comes with the case, ``Submission.header_clock``); everything else comes from
    the section's own ``context`` (the overview's full clock, say).
    """
    sections = navigation(request.user, case)
    page = {
        "case": case,
        "clock": case.header_clock(),
        "section": section,
        "sections": sections,
        "section_label": next(item["label"] for item in sections if item["key"] == section),
    }
    if "header_assignments" not in context:
        page["header_assignments"] = active_assignments(case)
    if "agency_states" not in context:
        # Where each routed agency stands, for the header's positions line.
        page["agency_states"] = agency_states(case)
    template = template or f"reviews/sections/{section}.html"
    return render(request, template, page | context, status=status)


def active_assignments(case) -> list[Assignment]:
    """The header's reviewers: the case's invited and accepted assignments."""
    return [a for a in case_assignments(case) if a.status in Assignment.ACTIVE]


@require_GET
def workspace(request, pk):
    """The overview: details, clock, the agencies' positions, who reviews the case (the
    reviewers section manages them), the panels other apps put on the overview (open
    routing requests)."""
    case = get_workspace_case_or_404(request.user, pk)
    states = agency_states(case)
    context = {
        "agencies": [state.agency for state in states],
        "agency_states": states,
        "open_request_count": requests.open_request_count(case),
        "header_assignments": active_assignments(case),
        # The overview's clock box shows the days used and paused: the ledger.
        "clock": case.clock(),
    }
    context |= coordination.lead_context(request, case, states)
    # Panels other apps put on the overview; their own sections run theirs.
    context["panels"] = render_case_panels(request, case, page=WORKSPACE)
    return render_section(request, case, "overview", context)


@require_GET
def reviewers(request, pk):
    """Who reviews the case, for everyone who sees the workspace; the forms to invite,
    route and manage their own agency's reviewers for the coordinators of its agencies."""
    case = get_workspace_case_or_404(request.user, pk)
    return render_section(
        request, case, "reviewers", coordinator.assignments_context(request, case)
    )


@require_GET
def findings(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return render_findings(request, case)


def render_findings(request, case, *, status=200, finding_form=None):
    """The findings section; a refused "Record a finding" passes its bound form."""
    context = findings_context(request, case, finding_form=finding_form)
    return render_section(request, case, "findings", context, status=status)


@require_GET
def information_requests(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return render_section(request, case, "requests", requests.requests_context(request, case))


@require_GET
def case_scores(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return render_section(request, case, "scores", scores.scores_context(request, case))


@require_GET
def artifacts(request, pk):
    case = get_workspace_case_or_404(request.user, pk, reading_artifacts=True)
    context = {
        "artifacts": case.artifacts.select_related("uploaded_by").order_by("kind", "uploaded_at"),
        # The same check as portal:artifact_download.
        "can_download": may_read_artifacts(request.user, case),
    }
    return render_section(request, case, "artifacts", context)


@require_GET
def recommendation(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    recommendation = requests.lead_recommendation(case)
    states = agency_states(case, recommendation)
    context = requests.recommendation_context(request, case, recommendation)
    context |= coordination.positions_context(request, case, recommendation, states)
    context["agency_states"] = states
    return render_section(request, case, "recommendation", context)


@require_GET
def discussion(request, pk):
    """The case's threads this person reads, and the form to start one (portal.discussions)."""
    case = get_workspace_case_or_404(request.user, pk)
    return render_section(request, case, "discussion", case_threads_context(request.user, case))


@require_GET
def added_section(request, pk, section):
    """A section another app adds (``portal.core.hooks.case_panel(..., section=...)``).

    404 for a section nobody registered and for one not listed to this person.
    """
    case = get_workspace_case_or_404(request.user, pk)
    if section not in {added.key for added in case_sections(WORKSPACE, request.user, case)}:
        raise Http404("No such section of the case.")
    panels = render_case_panels(request, case, page=WORKSPACE, section=section)
    return render_section(
        request, case, section, {"panels": panels}, template="reviews/sections/added.html"
    )


@require_GET
def timeline(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return render_section(request, case, "timeline", {"timeline": _timeline(request.user, case)})


def _timeline(user, case) -> list[dict]:
    """The case's audit events worth showing; a finding's only if this person may read it
    (the ids of the findings they read: one query, only when a finding's event is there)."""
    entries = []
    events = list(
        AuditEvent.objects.for_target(case)
        .order_by("sequence")
        .only("sequence", "created_at", "actor_repr", "action", "details")
    )
    visible_finding_ids: set[int] = set()
    if any(event.action.startswith("finding.") for event in events):
        visible_finding_ids = set(
            Finding.objects.visible_to(user).filter(case=case).values_list("pk", flat=True)
        )
    for event in events:
        if event.action.startswith(CASE_TIMELINE_PREFIXES):
            label = timeline_label(event)
        elif event.action in REVIEW_TIMELINE_LABELS:
            if event.action.startswith("finding.") and (
                (event.details or {}).get("finding") not in visible_finding_ids
            ):
                continue
            label = REVIEW_TIMELINE_LABELS[event.action]
        else:
            continue
        entries.append({"event": event, "label": label})
    return entries


def findings_context(request, case, *, finding_form=None) -> dict:
    """The findings this person may read on the case, and counts from that same list."""
    visible = list(
        Finding.objects.visible_to(request.user)
        .filter(case=case)
        .select_related("author", "agency")
        .prefetch_related(
            Prefetch("evidence", queryset=FindingEvidence.objects.order_by("uploaded_at", "pk"))
        )
    )
    for finding in visible:
        finding.may_change = may_change_finding(request.user, finding)
    counted = [f for f in visible if f.status != Finding.Status.WITHDRAWN]
    severity_counts = [
        (level.label, sum(1 for f in counted if f.severity == level))
        for level in reversed(Severity)
    ]
    if finding_form is None:
        assignment = accepted_assignment_in(request.user, case)
        if assignment is not None and assignment.role != Assignment.Role.OBSERVER:
            finding_form = FindingForm()
    return {
        "findings": visible,
        "visible_finding_ids": {finding.pk for finding in visible},
        "severity_counts": severity_counts,
        "finding_form": finding_form,
        "finding_nonce": issue_nonce(request, f"finding:{case.pk}") if finding_form else "",
        "finding_statuses": Finding.Status.choices,
        "finding_markings": Finding.Marking.choices,
    }
