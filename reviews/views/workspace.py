"""The case workspace: everything about a case for the agencies reviewing it.

Each section's data comes from its own module's ``*_context`` function, so the
page's SQL stays a fixed set of queries, whatever the number of findings,
requests or reviewers.
"""

from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.audit.models import AuditEvent
from portal.cases.access import may_read_artifacts
from portal.core.hooks import render_case_panels
from portal.core.nonces import issue_nonce
from portal.core.templatetags.portal_tags import timeline_label
from reviews.access import get_workspace_case_or_404, may_change_finding
from reviews.forms_reviewer import FindingForm
from reviews.models import Assignment, Finding, FindingEvidence, Severity
from reviews.selectors import active_assignment
from reviews.views import coordinator, requests, scores

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
    "note.added": "Note added",
    "recommendation.drafted": "Recommendation drafted",
    "recommendation.issued": "Recommendation issued",
    "capability.jump_flagged": "Capability jump flagged",
    "score.measured": "Government-measured score recorded",
}


@require_GET
def workspace(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    return render_workspace(request, case)


def render_workspace(request, case, *, status=200, **overrides):
    """The page; a view whose form was refused passes the bound form as an override."""
    context = {
        "case": case,
        "clock": case.clock(),
        "agencies": case.routed_agencies.order_by("acronym"),
        "artifacts": case.artifacts.select_related("uploaded_by").order_by("kind", "uploaded_at"),
        # The same check as portal:artifact_download.
        "can_download": may_read_artifacts(request.user, case),
    }
    context |= coordinator.assignments_context(request, case)
    context |= findings_context(request, case)
    context |= requests.requests_context(request, case)
    context |= scores.scores_context(request, case)
    context |= overrides
    # Sections other apps add (access: grants, downloads, operators' reports).
    context["panels"] = render_case_panels(request, case)
    context["timeline"] = _timeline(case, context["visible_finding_ids"])
    return render(request, "reviews/workspace.html", context, status=status)


def _timeline(case, visible_finding_ids) -> list[dict]:
    """The case's audit events worth showing; a finding's only if this person may read it."""
    entries = []
    events = (
        AuditEvent.objects.for_target(case)
        .order_by("sequence")
        .only("sequence", "created_at", "actor_repr", "action", "details")
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
        assignment = active_assignment(request.user, case)
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
