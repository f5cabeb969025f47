"""Django admin for review work: read-only, for oversight. Changes go through the portal."""

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from reviews.models import (
    AgencyPosition,
    Assignment,
    Finding,
    InformationRequest,
    PositionAmendment,
    Recommendation,
)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "reviewer", "agency", "role", "status", "due_date", "attested_at"]
    list_filter = ["status", "role", "agency"]
    search_fields = ["case__number", "case__model_name", "reviewer__username"]
    list_select_related = ["case", "reviewer", "agency"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["title", "case", "agency", "severity", "category", "status", "marking"]
    list_filter = ["severity", "category", "status", "marking", "agency"]
    search_fields = ["title", "case__number"]
    list_select_related = ["case", "agency"]


@admin.register(InformationRequest)
class InformationRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "agency", "asked_by", "status", "response_due", "answered_at"]
    list_filter = ["status", "agency"]
    search_fields = ["case__number", "question"]
    list_select_related = ["case", "agency", "asked_by"]


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ["case", "outcome", "response_deadline", "drafted_by", "issued_by", "issued_at"]
    list_filter = ["outcome"]
    search_fields = ["case__number", "summary"]
    list_select_related = ["case", "drafted_by", "issued_by"]


@admin.register(AgencyPosition)
class AgencyPositionAdmin(ReadOnlyAdmin):
    list_display = ["case", "agency", "stance", "marking", "recorded_at", "amended_at"]
    list_filter = ["stance", "marking", "agency"]
    search_fields = ["case__number", "text"]
    list_select_related = ["case", "agency"]


@admin.register(PositionAmendment)
class PositionAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["position", "stance_before", "amended_by", "amended_at"]
    search_fields = ["position__case__number", "reason"]
    list_select_related = ["position__case", "position__agency", "amended_by"]
