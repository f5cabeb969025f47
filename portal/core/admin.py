"""What the apps' admin pages share."""

from django.contrib import admin


def shown_fields(model) -> list[str]:
    """The fields an admin page shows: all but the stored search vector.

    ``search_vector`` (``portal.core.search``) is the database's copy of other
    fields' words: nothing to read, and for a sealed record a copy of its content.
    """
    return [f.name for f in model._meta.fields if f.name != "search_vector"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For oversight only: every field shown, nothing added, changed or deleted here.

    Changes go through the portal's services, which check the actor and audit.
    """

    def get_readonly_fields(self, request, obj=None):
        return shown_fields(self.model)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
