"""Django admin for review work: read-only, for oversight. Changes go through the portal.

Findings, positions and their amendments show metadata only, never their text
or evidence (``SealedAdmin``); a superuser reads one only through break glass.
"""

from django.contrib import admin

from portal.accounts.selectors import agency_coordinators
from portal.cases.admin_sealed import SealedAdmin
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
class FindingAdmin(SealedAdmin):
    content_fields = ("title", "description")
    list_display = [
        "sealed_label",
        "case",
        "agency",
        "severity",
        "category",
        "status",
        "marking",
        "created_at",
        "updated_at",
    ]
    list_filter = ["severity", "category", "status", "marking", "agency"]
    search_fields = ["case__number"]
    list_select_related = ["case", "agency"]

    def owners(self, obj):
        return agency_coordinators([obj.agency_id])

    def files_of(self, obj):
        return list(obj.evidence.all())


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
class AgencyPositionAdmin(SealedAdmin):
    content_fields = ("text",)
    list_display = [
        "sealed_label",
        "case",
        "agency",
        "stance",
        "marking",
        "recorded_at",
        "amended_at",
    ]
    list_filter = ["stance", "marking", "agency"]
    search_fields = ["case__number"]
    list_select_related = ["case", "agency"]

    def owners(self, obj):
        return agency_coordinators([obj.agency_id])


@admin.register(PositionAmendment)
class PositionAmendmentAdmin(SealedAdmin):
    content_fields = ("text_before", "reason")
    list_display = ["sealed_label", "position", "stance_before", "amended_by", "amended_at"]
    search_fields = ["position__case__number"]
    list_select_related = ["position__case", "position__agency", "amended_by"]

    def case_of(self, obj):
        return obj.position.case

    def owners(self, obj):
        return agency_coordinators([obj.position.agency_id])
