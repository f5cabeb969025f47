"""Django admin for the stored jump evaluations: read-only, for oversight."""

from django.contrib import admin

from portal.capability.models import JumpEvaluation
from portal.core.admin import ReadOnlyAdmin


@admin.register(JumpEvaluation)
class JumpEvaluationAdmin(ReadOnlyAdmin):
    """What each rule said at each evaluation; written only by the evaluation itself."""

    list_display = [
        "result",
        "evaluated_at",
        "reason",
        "score",
        "frontier_before",
        "rule",
        "trend_status",
        "months_ahead",
    ]
    list_filter = ["rule", "trend_status", "reason"]
    list_select_related = ["result__benchmark", "result__case"]
    search_fields = ["result__case__number", "result__benchmark__name"]
    date_hierarchy = "evaluated_at"
