"""Capability monitoring follows cases through ``portal.core.hooks``."""

from django.dispatch import receiver

from portal.audit import events as audit
from portal.capability import corrections, frontier
from portal.core.hooks import case_submitted, score_corrected


@receiver(case_submitted, dispatch_uid="capability.evaluate_submission")
def evaluate_submitted_case(sender, case, actor, **kwargs):
    """Compare the case's scores with the frontier; flag and alert the jumps."""
    jumps = frontier.evaluate_submission(case)
    if jumps:
        # Not a "case." action: the developer's timeline must not reveal the frontier.
        audit.record(
            "capability.jump_flagged",
            actor=actor,
            target=case,
            details={"benchmarks": [result.benchmark.slug for result in jumps]},
        )
        frontier.alert_jumps(jumps)


@receiver(score_corrected, dispatch_uid="capability.reevaluate_correction")
def reevaluate_corrected_score(sender, case, result, correction, actor, **kwargs):
    """Evaluate the corrected score again, beside the first; retract what no longer holds."""
    corrections.on_score_corrected(case=case, result=result, correction=correction, actor=actor)
