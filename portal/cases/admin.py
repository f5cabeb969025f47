"""Django admin for cases, artifacts (read-only) and benchmarks."""

from django.contrib import admin

from portal.cases.models import Artifact, Benchmark, CaseRouting, EvalResult, Submission
from portal.core.admin import ReadOnlyAdmin


class CaseRoutingInline(admin.TabularInline):
    model = CaseRouting
    extra = 0
    can_delete = False
    # The queue's copies of the case (status, due date) and the agency's active
    # reviewers are kept by database triggers, never typed in.
    readonly_fields = ["agency", "routed_at", "routed_by", "case_status", "review_due", "reviewers"]

    def has_add_permission(self, request, obj=None):
        return False


class ArtifactInline(admin.TabularInline):
    model = Artifact
    extra = 0
    can_delete = False
    fields = ("original_name", "kind", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EvalResultInline(admin.TabularInline):
    model = EvalResult
    extra = 0
    can_delete = False
    fields = (
        "benchmark",
        "score",
        "source",
        "notes",
        "recorded_by",
        "recorded_at",
        "frontier_before",
        "previous_best",
        "is_jump",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    """Cases change through the portal's services (with their checks and audit), not here."""

    list_display = [
        "reference",
        "model_name",
        "model_version",
        "developer",
        "lead_agency",
        "status",
        "short_notice",
        "capability_jump",
        "planned_release_date",
        "review_due",
    ]
    list_filter = [
        "status",
        "short_notice",
        "capability_jump",
        "developer",
        "routed_agencies",
        "access_mode",
    ]
    search_fields = ["number", "model_name", "model_version", "developer__name"]
    list_select_related = ["developer", "lead_agency"]
    date_hierarchy = "submitted_at"
    inlines = [CaseRoutingInline, ArtifactInline, EvalResultInline]


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "case", "kind", "size", "sha256", "uploaded_at"]
    list_filter = ["kind", "uploaded_at"]
    search_fields = ["original_name", "sha256", "case__number", "case__model_name"]
    list_select_related = ["case"]


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    """A changed threshold applies to cases submitted afterwards; earlier evaluations stay."""

    list_display = [
        "name",
        "category",
        "unit",
        "min_score",
        "max_score",
        "higher_is_better",
        "jump_threshold",
        "jump_threshold_kind",
        "discrepancy_tolerance",
        "active",
    ]
    list_filter = ["category", "higher_is_better", "jump_threshold_kind", "active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "unit", "higher_is_better", "category", "active"]}),
        (
            "Valid range",
            {
                "description": (
                    "Scores outside the range, or not finite, are refused with the range named. "
                    "Leave an end empty for an open-ended score. Both ends set: the trend is "
                    "fitted in logit space (a percentage); only a lowest score of 0 or more: on "
                    "a log scale."
                ),
                "fields": ["min_score", "max_score"],
            },
        ),
        ("Description", {"fields": ["description"]}),
        (
            "Capability jumps",
            {
                "description": (
                    "A new developer-reported score is a jump when it beats the best earlier "
                    "score of any developer by more than the threshold: points of the unit "
                    "(absolute) or percent of that best score (relative). Government-measured "
                    "scores further than the tolerance from the developer's are a discrepancy."
                ),
                "fields": ["jump_threshold", "jump_threshold_kind", "discrepancy_tolerance"],
            },
        ),
        (
            "Capability jumps: the trend rule",
            {
                "description": (
                    "A new score is also a jump when it beats the frontier and the trend fitted "
                    "to the frontier's new bests of the window by more than K residual "
                    "deviations. With fewer than N new bests in the window there is not enough "
                    "history. See docs/capability.md."
                ),
                "fields": ["trend_window_months", "trend_sigmas", "trend_min_points"],
            },
        ),
    ]
