"""Scores on the workspace: the developer's and the government's side by side.

Every person who sees the workspace sees the comparison, with a discrepancy
flagged where the two differ by more than the benchmark's tolerance; the
case's accepted lead and reviewers also get the form to record a
government-measured score.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from portal.capability.frontier import compare_scores
from portal.cases.selectors import score_corrections
from portal.core.forms import first_error
from portal.core.refusals import run_service
from reviews.access import get_workspace_case_or_404
from reviews.forms_scores import GovernmentScoreForm
from reviews.models import Assignment
from reviews.selectors import accepted_assignment_in
from reviews.services.scores import MEASURING_STATUSES, record_government_score
from reviews.views.requests import section_url


def scores_context(request, case) -> dict:
    comparisons = compare_scores(
        case.eval_results.select_related("benchmark").order_by("benchmark__name", "source")
    )
    form = None
    if case.status in MEASURING_STATUSES:
        assignment = accepted_assignment_in(request.user, case)
        if assignment is not None and assignment.role != Assignment.Role.OBSERVER:
            form = GovernmentScoreForm()
    return {
        "score_comparisons": comparisons,
        "discrepancy_count": sum(c.discrepancy for c in comparisons),
        "score_form": form,
        "corrections": score_corrections(case),
    }


@require_POST
def score_record(request, pk):
    case = get_workspace_case_or_404(request.user, pk)
    form = GovernmentScoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(section_url("scores", case.pk))
    data = form.cleaned_data
    return run_service(
        request,
        lambda: record_government_score(
            actor=request.user,
            case_id=case.pk,
            benchmark=data["benchmark"],
            score=data["score"],
            notes=data["notes"],
        ),
        success=lambda result: (
            f"Recorded the government-measured score on {result.benchmark}: "
            f"{result.score.normalize()} {result.benchmark.unit}."
        ),
        redirect_to=section_url("scores", case.pk),
    )
