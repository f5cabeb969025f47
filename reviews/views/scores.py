"""Scores on the workspace: the developer's and the government's side by side.

Every person who sees the workspace sees the comparison, with a discrepancy
flagged where the two differ by more than the benchmark's tolerance; the
case's accepted lead and reviewers also get the form to record a
government-measured score.
"""

from django.contrib import messages
from django.views.decorators.http import require_POST

from portal.capability.frontier import compare_scores
from reviews import services
from reviews.access import get_workspace_case_or_404
from reviews.forms_scores import GovernmentScoreForm
from reviews.models import Assignment
from reviews.services_scores import MEASURING_STATUSES, record_government_score
from reviews.views.requests import _first_error, _workspace


def scores_context(request, case) -> dict:
    comparisons = compare_scores(
        case.eval_results.select_related("benchmark").order_by("benchmark__name", "source")
    )
    form = None
    if case.status in MEASURING_STATUSES:
        assignment = services.active_assignment(request.user, case)
        if assignment is not None and assignment.role != Assignment.Role.OBSERVER:
            form = GovernmentScoreForm()
    return {
        "score_comparisons": comparisons,
        "discrepancy_count": sum(c.discrepancy for c in comparisons),
        "score_form": form,
    }


@require_POST
def score_record(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = GovernmentScoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _workspace(case.pk)
    data = form.cleaned_data
    try:
        result = record_government_score(
            actor=request.user,
            case_id=case.pk,
            benchmark=data["benchmark"],
            score=data["score"],
            notes=data["notes"],
        )
    except services.ReviewActionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"Recorded the government-measured score on {result.benchmark}: "
            f"{result.score.normalize()} {result.benchmark.unit}.",
        )
    return _workspace(case.pk)
