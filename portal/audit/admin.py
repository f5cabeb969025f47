"""The audit log in the admin: read-only, searchable."""

from django.contrib import admin

from portal.audit.models import AuditEvent
from portal.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "actor_repr", "action", "target_repr", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor_repr", "action", "target_repr", "target_id", "ip"]
    list_select_related = ["target_type"]
    date_hierarchy = "created_at"
    show_full_result_count = False
