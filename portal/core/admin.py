"""What the apps' admin pages share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For oversight only: every field shown, nothing added, changed or deleted here.

    Changes go through the portal's services, which check the actor and audit.
    """

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
