"""Capability-jump monitoring: the frontier on each benchmark and the jumps past it.

The rules (also in the README, "Capability jumps"):

- **What counts.** Developer-reported scores of cases that have been submitted
  and are not withdrawn. Drafts are not history yet. Government-measured
  scores check a developer's claim (see *discrepancy*); they are not points on
  the frontier, so the frontier always compares like with like.
- **The frontier** before a case, on a benchmark: the best counting score of
  the cases submitted before it, across all developers — the highest, or the
  lowest where lower is better. **The previous best**: the same over the
  developer's own cases.
- **A jump** fires one rule or both (``JumpEvaluation.rule``):
  - *threshold*: the score beats the frontier by *more than* the benchmark's
    threshold, set in the admin either in points of the benchmark's unit
    (absolute) or in percent of the frontier's magnitude (relative). A score
    equal to the frontier, or beating it by exactly the threshold, is not a
    jump. The first score on a benchmark sets the frontier and is not a jump.
  - *trend*: the score beats the frontier and the trend fitted to the
    frontier's recent history by more than K residual deviations
    (``portal.capability.trend``; the method in ``docs/capability.md``).
- **Withdrawn cases** stop counting the moment they are withdrawn: a case
  submitted afterwards is compared without them. An evaluation already made
  is not rewritten — it records what the agencies were told at the time, and
  its alert has gone out. The Frontier page still lists a withdrawn case's
  score, marked as not counted.
- **When**: once, when the case is submitted, inside the submit transaction;
  again when the developer corrects the score after submission, as a new
  evaluation beside the first (``portal.capability.corrections``).
  The case's benchmark rows are locked first, so two submissions on the same
  benchmark are evaluated one after the other. Each evaluation is a
  ``JumpEvaluation`` row (both rules and what they used), never rewritten; its
  outcome is copied to the developer-reported ``EvalResult`` (frontier before,
  previous best, jump) and ``Submission.capability_jump`` for lists to flag
  and filter in SQL.
- **The alert** goes to the coordinators of every agency on the case and to
  the staff of every monitoring agency (``Agency.monitors_capability``), in
  the portal and by email, linking to the benchmark's chart, exactly once per
  case and benchmark: its key
  (``capability_jump``, ``portal.submission:<id>``, ``<benchmark slug>``) is
  claimed in ``SentReminder`` in the transaction that notifies.
- **A discrepancy**: a case's developer-reported and government-measured
  scores on a benchmark differ by more than the benchmark's tolerance (in its
  unit, either direction).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from portal.accounts.selectors import agency_coordinators
from portal.capability import trend
from portal.capability.models import JumpEvaluation
from portal.capability.selectors import monitoring_staff
from portal.cases.models import Benchmark, CaseStatus, EvalResult, Submission
from portal.core.hooks import Reminder
from portal.notifications.sweep import send_once

ALERT_KIND = "capability_jump"
HUNDRED = Decimal(100)


def beats(benchmark: Benchmark, score: Decimal, than: Decimal) -> Decimal:
    """How far ``score`` is better than ``than``, in the benchmark's unit (negative: worse)."""
    return score - than if benchmark.higher_is_better else than - score


def better_of(benchmark: Benchmark, first: Decimal | None, second: Decimal | None):
    if first is None or second is None:
        return second if first is None else first
    return first if beats(benchmark, first, second) >= 0 else second


def jump_margin(benchmark: Benchmark, frontier: Decimal) -> Decimal:
    """The gain over the frontier a score must exceed to be a jump."""
    if benchmark.jump_threshold_kind == Benchmark.ThresholdKind.RELATIVE:
        return abs(frontier) * benchmark.jump_threshold / HUNDRED
    return benchmark.jump_threshold


def is_jump(benchmark: Benchmark, score: Decimal, frontier: Decimal | None) -> bool:
    """More than the threshold past the frontier; never the first score on a benchmark."""
    if frontier is None:
        return False
    return beats(benchmark, score, frontier) > jump_margin(benchmark, frontier)


def is_discrepancy(benchmark: Benchmark, reported: Decimal, measured: Decimal) -> bool:
    return abs(reported - measured) > benchmark.discrepancy_tolerance


def counting_results():
    """Scores that make up the frontier: developer-reported, submitted, not withdrawn."""
    return EvalResult.objects.filter(
        source=EvalResult.Source.DEVELOPER, case__submitted_at__isnull=False
    ).exclude(case__status=CaseStatus.WITHDRAWN)


def _best_before(benchmark: Benchmark, case: Submission, **scope) -> Decimal | None:
    before = counting_results().filter(
        benchmark=benchmark, case__submitted_at__lt=case.submitted_at, **scope
    )
    best = Max("score") if benchmark.higher_is_better else Min("score")
    return before.exclude(case=case).aggregate(best=best)["best"]


def window_start(benchmark: Benchmark, moment):
    return moment - timedelta(days=benchmark.trend_window_months * trend.SECONDS_PER_MONTH / 86_400)


def frontier_history(benchmark: Benchmark, case: Submission):
    """The frontier before ``case`` and the frontier points of the trend's window: two queries.

    The best counting score submitted before the window, then every counting
    score inside it, oldest first; the running best over them gives both.
    """
    earlier = (
        counting_results()
        .filter(benchmark=benchmark, case__submitted_at__lt=case.submitted_at)
        .exclude(case=case)
    )
    start = window_start(benchmark, case.submitted_at)
    best = Max("score") if benchmark.higher_is_better else Min("score")
    best_before_window = earlier.filter(case__submitted_at__lt=start).aggregate(best=best)["best"]
    in_window = list(
        earlier.filter(case__submitted_at__gte=start)
        .order_by("case__submitted_at", "case_id")
        .values_list("case__submitted_at", "score")
    )
    points = trend.frontier_points(
        in_window, higher_is_better=benchmark.higher_is_better, best_before=best_before_window
    )
    frontier = points[-1][1] if points else best_before_window
    return frontier, points


def evaluate(
    result: EvalResult, *, case: Submission, now, reason: str = JumpEvaluation.Reason.SUBMITTED
) -> JumpEvaluation:
    """Both rules on one developer-reported score; the evaluation stored, the result updated."""
    benchmark = result.benchmark
    assert case.submitted_at is not None  # evaluated in the submit transaction
    frontier, points = frontier_history(benchmark, case)
    threshold = is_jump(benchmark, result.score, frontier)
    verdict = trend.judge(
        trend.Scale.of(benchmark),
        points,
        at=case.submitted_at,
        score=result.score,
        beats_frontier=frontier is not None and beats(benchmark, result.score, frontier) > 0,
        sigmas=float(benchmark.trend_sigmas),
        min_points=benchmark.trend_min_points,
    )
    line = verdict.fit
    evaluation = JumpEvaluation.objects.create(
        result=result,
        reason=reason,
        evaluated_at=now,
        score=result.score,
        frontier_before=frontier,
        previous_best=_best_before(benchmark, case, case__developer_id=case.developer_id),
        threshold_margin=None if frontier is None else jump_margin(benchmark, frontier),
        threshold_fired=threshold,
        trend_status=verdict.status,
        trend_scale=benchmark.trend_scale,
        trend_window_months=benchmark.trend_window_months,
        trend_sigmas=benchmark.trend_sigmas,
        trend_min_points=benchmark.trend_min_points,
        trend_points=verdict.points,
        trend_predicted=verdict.predicted,
        trend_limit=verdict.limit,
        trend_sigma=None if line is None else line.sigma,
        trend_slope=None if line is None else line.slope,
        months_ahead=verdict.months_ahead,
        rule=JumpEvaluation.rule_for(threshold=threshold, trend=verdict.fired),
    )
    # The result carries its latest evaluation's outcome, for lists to flag in SQL.
    result.frontier_before = evaluation.frontier_before
    result.previous_best = evaluation.previous_best
    result.is_jump = evaluation.is_jump
    result.evaluated_at = now
    result.save(update_fields=["frontier_before", "previous_best", "is_jump", "evaluated_at"])
    result.evaluation = evaluation  # type: ignore[attr-defined]
    return evaluation


def evaluate_submission(case: Submission) -> list[EvalResult]:
    """Compare the case's developer-reported scores with the frontier and its trend; store both.

    Runs in the submit transaction, after ``submitted_at`` is set. Returns the jumps.
    """
    results = list(
        case.eval_results.filter(source=EvalResult.Source.DEVELOPER)
        .select_related("benchmark")
        .order_by("benchmark_id")
    )
    # Serialize evaluations per benchmark (PostgreSQL; SQLite writes one at a time anyway).
    list(
        Benchmark.objects.select_for_update()
        .filter(pk__in=[r.benchmark_id for r in results])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    jumps = [result for result in results if evaluate(result, case=case, now=now).is_jump]
    case.capability_jump = bool(jumps)
    case.save(update_fields=["capability_jump", "updated_at"])
    return jumps


def latest_evaluation(result: EvalResult) -> JumpEvaluation | None:
    cached = getattr(result, "evaluation", None)
    if cached is not None:
        return cached
    return result.jump_evaluations.order_by("-evaluated_at", "-pk").first()


def _alert_recipients(case: Submission):
    """The coordinators of every agency on the case, and the staff of every monitoring agency."""

    def recipients():
        on_case = agency_coordinators(case.routings.values("agency_id"))
        return (on_case | monitoring_staff()).distinct().order_by("pk")

    return recipients


def alert_title_prefix(case: Submission, benchmark: Benchmark) -> str:
    """How every jump alert on this case and benchmark is titled, before its rule."""
    return f"Capability jump on {case.number}: {benchmark.name}"


def jump_alert(result: EvalResult) -> Reminder:
    case, benchmark = result.case, result.benchmark
    evaluation = latest_evaluation(result)
    if evaluation is None or not evaluation.is_jump or result.frontier_before is None:
        raise ValueError(f"Result {result.pk} is no jump.")
    rule = evaluation.get_rule_display().lower()
    return Reminder(
        kind=ALERT_KIND,
        subject=case,
        threshold=benchmark.slug,
        recipients=_alert_recipients(case),
        title=f"{alert_title_prefix(case, benchmark)} ({rule})",
        template="portal/email/capability_jump.txt",
        context={
            "case": case,
            "benchmark": benchmark,
            "result": result,
            "evaluation": evaluation,
            "gain": beats(benchmark, result.score, result.frontier_before).normalize(),
            "margin": jump_margin(benchmark, result.frontier_before).normalize(),
        },
        case=case,
        # The benchmark's chart: every recipient may open it, while the case page
        # is closed to a monitoring agency the case is not routed to.
        url=reverse("portal:frontier_benchmark", args=[benchmark.slug]),
    )


def alert_jumps(jumps: list[EvalResult]) -> int:
    """Tell the coordinators on each jump's case and the monitoring agencies, once per
    case and benchmark."""
    return sum(send_once(jump_alert(result)) for result in jumps)


@dataclass(frozen=True)
class ScoreComparison:
    """One benchmark's developer-reported and government-measured scores of a case."""

    benchmark: Benchmark
    reported: EvalResult | None
    measured: EvalResult | None

    @property
    def difference(self) -> Decimal | None:
        if self.reported is None or self.measured is None:
            return None
        return self.measured.score - self.reported.score

    @property
    def discrepancy(self) -> bool:
        if self.reported is None or self.measured is None:
            return False
        return is_discrepancy(self.benchmark, self.reported.score, self.measured.score)


def compare_scores(results) -> list[ScoreComparison]:
    """Pair a case's results (with their benchmarks loaded) by benchmark, by name."""
    pairs: dict[int, dict] = {}
    for result in results:
        entry = pairs.setdefault(result.benchmark_id, {"benchmark": result.benchmark})
        entry[result.source] = result
    return [
        ScoreComparison(
            benchmark=entry["benchmark"],
            reported=entry.get(EvalResult.Source.DEVELOPER),
            measured=entry.get(EvalResult.Source.GOVERNMENT),
        )
        for entry in sorted(pairs.values(), key=lambda e: e["benchmark"].name)
    ]
