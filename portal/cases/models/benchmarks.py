"""Benchmarks and the scores a developer reports for a case."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
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

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    unit = models.CharField(max_length=30, help_text="For example “% solved” or “Elo”.")
    higher_is_better = models.BooleanField(default=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
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

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


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
