"""An admin site for tests only, with the bulk actions the portal's admin leaves out.

The portal's admin is read-only for cases and assignments (they change through
the services). Whoever is ever given a bulk action there, or runs a site of
their own, goes through ``QuerySet.update`` and ``QuerySet.delete``: the
agencies' queues must stay right. A test takes this URLconf with
``pytest.mark.urls("tests.queue_admin")``; the portal's own URLs stay.
"""

from django.contrib import admin
from django.urls import path

from portal.cases.models import CaseStatus, Submission
from portal.urls import urlpatterns as portal_urlpatterns
from reviews.models import Assignment

site = admin.AdminSite(name="queue_admin")


@admin.register(Submission, site=site)
class BulkSubmissionAdmin(admin.ModelAdmin):
    actions = ["mark_withdrawn"]

    @admin.action(description="Withdraw the selected cases")
    def mark_withdrawn(self, request, queryset):
        queryset.update(status=CaseStatus.WITHDRAWN)


@admin.register(Assignment, site=site)
class BulkAssignmentAdmin(admin.ModelAdmin):
    """Django's own ``delete_selected`` on assignments."""


urlpatterns = [path("queue-admin/", site.urls), *portal_urlpatterns]
