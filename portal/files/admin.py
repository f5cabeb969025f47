"""Download records in the admin: read-only, like the audit log they sit beside."""

from django.contrib import admin

from portal.files.models import Download


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "name", "case_id", "outcome", "range", "bytes_sent", "ip"]
    list_filter = ["outcome", "created_at"]
    search_fields = ["user__username", "name", "path", "ip", "token_prefix"]
    list_select_related = ["user"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
