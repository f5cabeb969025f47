"""A corrected score, evaluated again: the new evaluation beside the first, retractions shown.

When the developer corrects a reported score after submission
(``portal.cases.services.corrections``), in the same transaction:

- the score is evaluated again against the frontier *at the case's
  submission* with both rules; the result is a new ``JumpEvaluation``
  (reason ``correction``) next to the original, which stays as it was;
- if an earlier evaluation of the score flagged a jump and the new one does
  not, the flag is **retracted**: ``EvalResult.jump_retracted_at``, the
  case's ``capability_jump_retracted_at`` (when no other score of it is a
  jump), and the alert notifications already sent are marked
  ``retracted_at`` — shown as retracted, never deleted. A later
  correction that makes it a jump again lifts the retraction;
- a correction that turns the score into a jump alerts as a first jump does
  (exactly once per case and benchmark, so never a second alert);
- every agency whose staff received an alert on the score is told of the
  correction, with the old and new values, the reason and the new verdict.

Later cases' evaluations are not rewritten: they record what the agencies
were told at the time.
"""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.accounts.selectors import agency_coordinators
from portal.audit import events as audit
from portal.capability import frontier
from portal.capability.models import JumpEvaluation
from portal.cases.models import Benchmark, EvalResult, ScoreCorrection, Submission
from portal.notifications.models import Notification
from portal.notifications.services import notify


def alert_notifications(case: Submission, benchmark: Benchmark):
    """The jump alerts sent on this case and benchmark, to whoever received them."""
    return Notification.objects.filter(
        case=case, title__startswith=frontier.alert_title_prefix(case, benchmark) + " ("
    )


def reevaluate(
    result: EvalResult, *, case: Submission, correction: ScoreCorrection
) -> JumpEvaluation:
    """Evaluate the corrected score again; retract or restore its flag; tell the alerted."""
    benchmark = result.benchmark
    # Serialize with submissions on the same benchmark, as evaluate_submission does.
    list(Benchmark.objects.select_for_update().filter(pk=benchmark.pk).values_list("pk"))
    was_flagged = result.jump_evaluations.exclude(rule="").exists()
    now = timezone.now()
    evaluation = frontier.evaluate(
        result, case=case, now=now, reason=JumpEvaluation.Reason.CORRECTION
    )
    retracted = was_flagged and not evaluation.is_jump
    result.jump_retracted_at = (result.jump_retracted_at or now) if retracted else None
    result.save(update_fields=["jump_retracted_at"])

    developer_results = case.eval_results.filter(source=EvalResult.Source.DEVELOPER)
    case.capability_jump = developer_results.filter(is_jump=True).exists()
    retracted_case = (
        not case.capability_jump
        and developer_results.filter(jump_retracted_at__isnull=False).exists()
    )
    case.capability_jump_retracted_at = (
        (case.capability_jump_retracted_at or now) if retracted_case else None
    )
    case.save(update_fields=["capability_jump", "capability_jump_retracted_at", "updated_at"])

    alerts = alert_notifications(case, benchmark)
    # The agencies alerted on this score, read before a new alert could join them.
    alerted_agencies = set(
        alerts.exclude(recipient__membership__agency=None).values_list(
            "recipient__membership__agency_id", flat=True
        )
    )
    if retracted:
        alerts.filter(retracted_at__isnull=True).update(retracted_at=now)
    elif evaluation.is_jump:
        alerts.update(retracted_at=None)
    if alerted_agencies:
        _tell_alerted(alerted_agencies, result, case, correction, evaluation, was_flagged)
    if evaluation.is_jump:
        frontier.alert_jumps([result])  # once per case and benchmark: only if never alerted
    return evaluation


def _tell_alerted(agencies, result, case, correction, evaluation, was_flagged) -> None:
    benchmark = result.benchmark
    if result.jump_retracted_at is not None:
        verdict = "jump alert retracted"
    elif evaluation.is_jump:
        verdict = f"still a jump ({evaluation.get_rule_display().lower()})"
    else:
        verdict = "no jump"
    body = render_to_string(
        "portal/email/capability_correction.txt",
        {
            "case": case,
            "benchmark": benchmark,
            "correction": correction,
            "evaluation": evaluation,
            "retracted": result.jump_retracted_at is not None,
            "was_flagged": was_flagged,
        },
    ).strip()
    notify(
        agency_coordinators(agencies),
        title=f"Score corrected on {case.number}: {benchmark.name} ({verdict})",
        body=body,
        case=case,
        url=reverse("portal:frontier_benchmark", args=[benchmark.slug]),
    )


def on_score_corrected(*, case, result, correction, actor) -> JumpEvaluation:
    """The ``score_corrected`` receiver's work, audited outside the case's timeline."""
    evaluation = reevaluate(result, case=case, correction=correction)
    # Not a "case." or "eval." action: the developer's timeline must not reveal the frontier.
    audit.record(
        "capability.reevaluated",
        actor=actor,
        target=case,
        details={
            "benchmark": result.benchmark.slug,
            "correction": correction.pk,
            "evaluation": evaluation.pk,
            "rule": evaluation.rule,
            "retracted": result.jump_retracted_at is not None,
        },
    )
    return evaluation
