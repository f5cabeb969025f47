"""Government-measured scores: a case's reviewers record what they measured themselves.

The agencies' own run of a benchmark sits beside the developer's reported
score on the workspace; a difference above the benchmark's tolerance is a
discrepancy (``portal.capability.frontier``). Only an accepted lead or reviewer records
one, while the case is under review; recording again replaces the score (one
government-measured result per case and benchmark), and each change is an
audit event. Government-measured scores never move the frontier.
"""

from decimal import Decimal

from django.db import transaction

from portal.audit import events as audit
from portal.cases.models import Benchmark, CaseStatus, EvalResult
from portal.cases.services.artifacts import check_score
from portal.cases.services.lifecycle import locked_case
from reviews.services.base import ReviewActionRefused, working_reviewer

MEASURING_STATUSES = (CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


def record_government_score(
    *, actor, case_id: int, benchmark: Benchmark, score: Decimal, notes: str = ""
) -> EvalResult:
    with transaction.atomic():
        case = locked_case(case_id)
        working_reviewer(actor, case)
        if case.status not in MEASURING_STATUSES:
            raise ReviewActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "scores are recorded while it is under review."
            )
        if not benchmark.active:
            raise ReviewActionRefused(f"{benchmark} is no longer in use.")
        result = EvalResult.objects.filter(
            case=case, benchmark=benchmark, source=EvalResult.Source.GOVERNMENT
        ).first() or EvalResult(case=case, benchmark=benchmark, source=EvalResult.Source.GOVERNMENT)
        previous = result.score if result.pk else None
        result.score, result.notes, result.recorded_by = score, notes.strip(), actor
        check_score(result)  # refuses (CaseActionRefused) a score outside the range
        result.save()
        audit.record(
            "score.measured",
            actor=actor,
            target=case,
            details={
                "benchmark": benchmark.slug,
                "score": str(score),
                "previous": None if previous is None else str(previous),
            },
        )
    return result
