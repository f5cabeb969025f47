"""Django admin for access: terms are managed here; grants are read-only.

Downloads are ``portal.files`` records, read-only in its admin. Operators'
evaluation reports show metadata only, never their assessment or files
(``SealedAdmin``); a superuser reads one only through break glass."""

from django.contrib import admin

from access.models import AccessGrant, EvaluationReport, Terms, TermsAcceptance
from portal.accounts.selectors import agency_coordinators, security_team
from portal.cases.admin_sealed import SealedAdmin
from portal.core.admin import ReadOnlyAdmin


@admin.register(Terms)
class TermsAdmin(admin.ModelAdmin):
    """A new version requires every operator to accept again; old versions never change."""

    list_display = ["version", "title", "published_at"]
    search_fields = ["title", "body"]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "title", "body", "published_at"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "terms", "accepted_at", "ip"]
    list_filter = ["terms"]
    search_fields = ["user__username"]
    list_select_related = ["user", "terms"]


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = [
        "case",
        "operator",
        "status",
        "starts_at",
        "ends_at",
        "granted_by",
        "revoked_at",
    ]
    list_filter = ["status", "operator"]
    search_fields = ["case__number", "case__model_name", "operator__name"]
    list_select_related = ["case", "operator", "granted_by"]


@admin.register(EvaluationReport)
class EvaluationReportAdmin(SealedAdmin):
    content_fields = ("title", "assessment")
    list_display = ["sealed_label", "case", "operator", "risk", "marking", "created_at"]
    list_filter = ["risk", "marking", "operator"]
    search_fields = ["case__number"]
    list_select_related = ["case", "operator"]

    def owners(self, obj):
        """The operator's security team, who wrote it, and the coordinators of every
        agency the case is routed to, who read it."""
        return [
            *security_team(obj.operator_id),
            *agency_coordinators(obj.case.routings.values("agency_id")),
        ]

    def files_of(self, obj):
        return list(obj.files.all())
