"""The audit log in the admin: read-only, searchable."""

from django.contrib import admin

from portal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["sequence", "created_at", "actor_repr", "action", "target_repr", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["actor_repr", "action", "target_repr", "target_id", "ip"]
    list_select_related = ["target_type"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
