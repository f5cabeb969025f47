"""Benchmarks and the scores a developer reports for a case."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portal.cases.models.cases import Submission


class Benchmark(models.Model):
    """A named evaluation, managed in the admin, with its capability-jump settings."""

    class ThresholdKind(models.TextChoices):
        ABSOLUTE = "absolute", "Absolute (points of the benchmark's unit)"
        RELATIVE = "relative", "Relative (percent of the frontier)"

    class Category(models.TextChoices):
        CYBER_OFFENSE = "cyber_offense", "Cyber offense"
        CBRN = "cbrn", "CBRN"
        AUTONOMY = "autonomy", "Autonomy"
        DECEPTION = "deception", "Deception"
        GENERAL = "general", "General capability"

    class TrendScale(models.TextChoices):
        """The space the trend rule fits a straight line in (see ``Benchmark.trend_scale``)."""

        LOGIT = "logit", "Logit of the share of the range (bounded scores)"
        LOG = "log", "Logarithm (open-ended, positive scores)"
        LINEAR = "linear", "Linear (open-ended scores that may be zero or negative)"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    unit = models.CharField(max_length=30, help_text="For example “% solved” or “Elo”.")
    higher_is_better = models.BooleanField(default=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    min_score = models.DecimalField(
        "lowest valid score",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Scores below this are refused. Empty: no lower bound.",
    )
    max_score = models.DecimalField(
        "highest valid score",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Scores above this are refused. Empty: open-ended (no upper bound).",
    )
    jump_threshold = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="A new score is a capability jump when it beats the frontier by more than this.",
    )
    jump_threshold_kind = models.CharField(
        max_length=10, choices=ThresholdKind.choices, default=ThresholdKind.ABSOLUTE
    )
    discrepancy_tolerance = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=(
            "Developer-reported and government-measured scores of a case that differ by "
            "more than this (in the benchmark's unit) are flagged as a discrepancy."
        ),
    )

    trend_window_months = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="The trend is fitted to the frontier of this many months before a result.",
    )
    trend_sigmas = models.DecimalField(
        "trend deviations (K)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=(
            "A result is ahead of trend when it beats the trend's prediction by more than "
            "this many residual standard deviations."
        ),
    )
    trend_min_points = models.PositiveSmallIntegerField(
        "trend history (N)",
        default=4,
        validators=[MinValueValidator(3), MaxValueValidator(100)],
        help_text="Fewer earlier frontier points than this in the window: not enough history.",
    )

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_score__isnull=True)
                | models.Q(max_score__isnull=True)
                | models.Q(min_score__lt=models.F("max_score")),
                name="benchmark_range_low_below_high",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score >= self.max_score
        ):
            raise ValidationError(
                {"max_score": "The highest valid score must be above the lowest."}
            )

    @property
    def bounded(self) -> bool:
        return self.min_score is not None and self.max_score is not None

    @property
    def trend_scale(self) -> str:
        """Logit for a score bounded on both sides (a percentage); log for an open-ended one.

        An open-ended score that may be zero or negative has no logarithm, so its
        trend is a straight line in the score itself.
        """
        if self.bounded:
            return self.TrendScale.LOGIT
        if self.min_score is not None and self.min_score >= 0:
            return self.TrendScale.LOG
        return self.TrendScale.LINEAR

    def range_text(self) -> str:
        """The valid range in words, as refusals and form labels name it."""
        low, high = self.min_score, self.max_score
        unit = f" {self.unit}" if self.unit else ""
        if low is not None and high is not None:
            return f"from {_plain(low)} to {_plain(high)}{unit}"
        if low is not None:
            return f"{_plain(low)}{unit} or more"
        if high is not None:
            return f"{_plain(high)}{unit} or less"
        return f"any finite number{unit}"

    def score_problem(self, score: Decimal | int | float) -> str | None:
        """Why ``score`` is not a valid score on this benchmark, or None when it is."""
        if not isinstance(score, Decimal):
            try:
                score = Decimal(str(score))  # an int or a float from a script or a shell
            except ArithmeticError:
                return f"Enter a number; scores on {self.name} are {self.range_text()}."
        if not score.is_finite():
            return f"Enter a finite number; scores on {self.name} are {self.range_text()}."
        if (self.min_score is not None and score < self.min_score) or (
            self.max_score is not None and score > self.max_score
        ):
            return f"Scores on {self.name} are {self.range_text()}; {_plain(score)} is outside."
        return None


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 100, 0.5, 1500."""
    return format(value.normalize(), "f") if value.is_finite() else str(value)


class EvalResult(models.Model):
    """A score on a benchmark, as the developer reported it or the government measured it.

    A developer-reported score is compared with the frontier when its case is
    submitted (``portal.capability.frontier``); the comparison is stored with it.
    """

    class Source(models.TextChoices):
        DEVELOPER = "developer", "Developer-reported"
        GOVERNMENT = "government", "Government-measured"

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="eval_results")
    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="results")
    score = models.DecimalField(max_digits=12, decimal_places=4)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.DEVELOPER)
    notes = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The capability-jump evaluation, stored at submit (developer-reported only).
    frontier_before = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
        help_text="The best score on the benchmark before this case, across all developers.",
    )
    previous_best = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
        help_text="The developer's own best score on the benchmark before this case.",
    )
    is_jump = models.BooleanField(default=False, editable=False)
    # An earlier evaluation flagged a jump that the latest (after a correction)
    # no longer does: the flag is shown as retracted, never silently dropped.
    jump_retracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["benchmark__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "benchmark", "source"], name="one_result_per_benchmark_and_source"
            )
        ]
        indexes = [models.Index(fields=["benchmark", "source"])]

    def __str__(self):
        return f"{self.benchmark}: {self.score}"

    def clean(self):
        """A score outside its benchmark's range, or not finite, is refused naming the range."""
        if self.benchmark_id is None or self.score is None:
            return
        problem = self.benchmark.score_problem(self.score)
        if problem:
            raise ValidationError({"score": problem})


class ScoreCorrection(models.Model):
    """A developer's correction of a reported score after submission, with its reason.

    ``EvalResult.score`` holds the current value; each correction keeps the
    value it replaced, so the history reads oldest first. Never edited or deleted.
    """

    result = models.ForeignKey(
        EvalResult, on_delete=models.CASCADE, related_name="corrections", editable=False
    )
    previous_score = models.DecimalField(max_digits=12, decimal_places=4, editable=False)
    score = models.DecimalField(max_digits=12, decimal_places=4, editable=False)
    reason = models.TextField(editable=False)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    corrected_at = models.DateTimeField(editable=False)

    class Meta:
        ordering = ["result_id", "corrected_at", "pk"]
        indexes = [models.Index(fields=["corrected_at"], name="score_correction_at")]

    def __str__(self):
        return f"{self.result}: {_plain(self.previous_score)} → {_plain(self.score)}"
