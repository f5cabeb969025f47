"""Download records in the admin: read-only, like the audit log they sit beside."""

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.files.models import Download


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "name",
        "case_id",
        "outcome",
        "range",
        "bytes_requested",
        "bytes_sent",
        "delivery",
        "ip",
    ]
    list_filter = ["outcome", "delivery", "created_at"]
    search_fields = ["user__username", "name", "path", "ip", "token_prefix", "request_id"]
    list_select_related = ["user"]
    show_full_result_count = False
