"""Corrections of reported scores after submission.

While the case is a draft the developer edits a score in place
(``artifacts.set_eval_result``). Once submitted, a score may still be
corrected — a typo can raise a false capability-jump alert or hide a real
one — but only with a reason, and the value it replaces is kept in a
``ScoreCorrection`` row. ``EvalResult.score`` is always the current value.
``portal.capability`` hears of the correction through the ``score_corrected``
hook and evaluates the score again in the same transaction.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from portal.audit import events as audit
from portal.cases.models import EvalResult, ScoreCorrection
from portal.cases.services.artifacts import check_score
from portal.cases.services.lifecycle import CaseActionRefused, locked_case, require_developer
from portal.core.hooks import score_corrected

REASON_MAX_LENGTH = 2000


def correct_score(
    *, actor, case_id: int, result_id: int, score: Decimal, reason: str
) -> ScoreCorrection:
    """Replace a submitted case's developer-reported score, keeping the old value and why."""
    reason = (reason or "").strip()
    with transaction.atomic():
        case = locked_case(case_id)
        require_developer(actor, case)
        if case.is_draft:
            raise CaseActionRefused("This case is a draft: change the score in place instead.")
        if case.is_closed:
            raise CaseActionRefused(
                f"This case is {case.get_status_display().lower()}; its scores stay as they are."
            )
        result = (
            case.eval_results.select_for_update()
            .select_related("benchmark")
            .filter(pk=result_id, source=EvalResult.Source.DEVELOPER)
            .first()
        )
        if result is None:
            raise CaseActionRefused("No such reported score on this case.")
        if not reason:
            raise CaseActionRefused("Give a reason for the correction.")
        if len(reason) > REASON_MAX_LENGTH:
            raise CaseActionRefused(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
        previous = result.score
        result.score = score
        check_score(result)
        if result.score == previous:
            raise CaseActionRefused(
                f"The score on {result.benchmark.name} is already {previous.normalize():f}."
            )
        result.save(update_fields=["score"])
        correction = ScoreCorrection.objects.create(
            result=result,
            previous_score=previous,
            score=result.score,
            reason=reason,
            corrected_by=actor,
            corrected_at=timezone.now(),
        )
        audit.record(
            "eval.corrected",
            actor=actor,
            target=case,
            details={
                "benchmark": result.benchmark.slug,
                "benchmark_name": result.benchmark.name,
                "previous_score": str(previous),
                "score": str(result.score),
                "reason": reason,
                "correction": correction.pk,
            },
        )
        score_corrected.send(
            sender=type(case), case=case, result=result, correction=correction, actor=actor
        )
    return correction
