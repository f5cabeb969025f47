"""Notifications in the admin: shown as sent, never edited; old ones may be deleted."""

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "recipient", "case", "created_at", "read_at", "emailed_at"]
    list_filter = ["created_at", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient", "case"]

    def has_delete_permission(self, request, obj=None):
        # Deleting a notification loses no record: the audit log keeps what happened.
        return super(ReadOnlyAdmin, self).has_delete_permission(request, obj)
