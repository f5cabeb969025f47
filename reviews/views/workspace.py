"""The case workspace: everything about a case for the agencies reviewing it.

Each section's data comes from its own module's ``*_context`` function, so the
page's SQL stays a fixed set of queries, whatever the number of findings,
requests or reviewers.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.audit.models import AuditEvent
from portal.cases.access import REVIEW_CASE
from portal.core.hooks import render_case_panels
from portal.core.templatetags.portal_tags import timeline_label
from reviews.access import get_workspace_case_or_404
from reviews.views import coordinator, findings, requests, scores

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
        # The same check as portal:artifact_download: an accepted assignment.
        "can_download": request.user.has_perm(REVIEW_CASE, case),
    }
    context |= coordinator.assignments_context(request, case)
    context |= findings.findings_context(request, case)
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
