"""The record of each capability-jump evaluation: what both rules said, with what they used.

A developer-reported score is evaluated when its case is submitted. Each
evaluation is a row of its own, never rewritten: a later recomputation (a
corrected score, say) is a new row beside the first, with its ``reason``, so
what the agencies were told at the time stays readable. The score's own
``EvalResult`` carries the outcome of its latest evaluation (``frontier_before``,
``previous_best``, ``is_jump``) for the lists to flag and filter in SQL; both are
written in one transaction by ``portal.capability.frontier.evaluate_submission``.
"""

from django.conf import settings
from django.db import models

from portal.capability.trend import TrendStatus
from portal.cases.models import EvalResult


class JumpEvaluation(models.Model):
    class Reason(models.TextChoices):
        SUBMITTED = "submitted", "Case submitted"
        CORRECTION = "correction", "Score corrected"

    class Rule(models.TextChoices):
        NONE = "", "No jump"
        THRESHOLD = "threshold", "Threshold"
        TREND = "trend", "Trend"
        BOTH = "both", "Threshold and trend"

    class Trend(models.TextChoices):
        AHEAD = TrendStatus.AHEAD, "Ahead of trend"
        ON_TREND = TrendStatus.ON_TREND, "Within the trend"
        NOT_ENOUGH_HISTORY = TrendStatus.NOT_ENOUGH_HISTORY, "Not enough history"
        NOT_EVALUATED = "not_evaluated", "Not evaluated (before the trend rule)"

    result = models.ForeignKey(
        EvalResult, on_delete=models.CASCADE, related_name="jump_evaluations", editable=False
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.SUBMITTED)
    evaluated_at = models.DateTimeField()
    score = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="The score as it was evaluated."
    )
    frontier_before = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    previous_best = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # The threshold rule and the margin it applied (absolute, or relative worked out).
    threshold_margin = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    threshold_fired = models.BooleanField(default=False)
    # The trend rule, with the benchmark's settings at the time.
    trend_status = models.CharField(max_length=20, choices=Trend.choices)
    trend_scale = models.CharField(max_length=10)
    trend_window_months = models.PositiveSmallIntegerField()
    trend_sigmas = models.DecimalField(max_digits=5, decimal_places=2)
    trend_min_points = models.PositiveSmallIntegerField()
    trend_points = models.PositiveSmallIntegerField(
        help_text="Earlier frontier points in the window."
    )
    trend_predicted = models.FloatField(
        null=True, blank=True, help_text="The trend's score at the case's submission."
    )
    trend_limit = models.FloatField(
        null=True, blank=True, help_text="The prediction K residual deviations better."
    )
    trend_sigma = models.FloatField(
        null=True, blank=True, help_text="Residual standard deviation, in the fit's scale."
    )
    trend_slope = models.FloatField(
        null=True, blank=True, help_text="The fit's progress per month, in its scale."
    )
    months_ahead = models.FloatField(
        null=True, blank=True, help_text="Months ahead of trend (negative: behind)."
    )
    rule = models.CharField(max_length=10, choices=Rule.choices, blank=True, default="")

    class Meta:
        ordering = ["result_id", "evaluated_at", "pk"]
        indexes = [models.Index(fields=["result", "-evaluated_at"], name="jump_evaluation_latest")]

    def __str__(self):
        return f"{self.result}: {self.get_rule_display()} ({self.evaluated_at:%Y-%m-%d})"

    @property
    def is_jump(self) -> bool:
        return bool(self.rule)

    @staticmethod
    def rule_for(*, threshold: bool, trend: bool) -> str:
        if threshold and trend:
            return JumpEvaluation.Rule.BOTH
        if threshold:
            return JumpEvaluation.Rule.THRESHOLD
        return JumpEvaluation.Rule.TREND if trend else JumpEvaluation.Rule.NONE


class RoutingRequest(models.Model):
    """A monitoring agency asks for a case to be routed to it, so that it may read the review.

    Staff of a monitoring agency see every submitted case's scores, never its
    findings, artifacts or discussions; a coordinator of such an agency asks
    the case's lead agency to route the case to it. A coordinator of the lead
    agency accepts (the case is routed, ``portal.cases.services.lifecycle``)
    or declines; either way the row stays, with who answered and when. One
    open request per case and agency (a constraint); once answered, a new one
    may be made.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    case = models.ForeignKey(
        "cases.Submission", on_delete=models.CASCADE, related_name="routing_requests"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="routing_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "agency"],
                condition=models.Q(status="open"),
                name="one_open_routing_request",
            )
        ]

    def __str__(self):
        return f"{self.agency} asks for {self.case.reference} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
