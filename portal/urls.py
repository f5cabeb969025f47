"""The portal's URLs: each app's own, mounted where they have always been.

The "portal" namespace groups the pages of the apps inside the project
package (cases, the frontier, notifications, tokens); sign-in, the account
pages and the APIs' own paths are outside it.
"""

from django.contrib import admin
from django.urls import include, path

from portal.accounts import urls as accounts_urls
from portal.capability import urls as capability_urls
from portal.cases import urls as cases_urls
from portal.files import views as files_views
from portal.notifications import urls as notifications_urls

portal_patterns = [
    *cases_urls.urlpatterns,
    *capability_urls.urlpatterns,
    *notifications_urls.urlpatterns,
    *accounts_urls.namespaced_urlpatterns,
]

urlpatterns = [
    *accounts_urls.urlpatterns,
    *cases_urls.api_urlpatterns,
    *capability_urls.api_urlpatterns,
    path("", include((portal_patterns, "portal"))),
    path("api/v1/", include("access.api_urls")),
    path("discussions/", include("portal.discussions.urls")),
    path("reviews/", include("reviews.urls")),
    path("access/", include("access.urls")),
    path("admin/", admin.site.urls),
    path(
        files_views.MANIFEST_KEY_PATH,
        files_views.manifest_signing_key,
        name="manifest_signing_key",
    ),
]

handler400 = "portal.core.views.bad_request"
handler403 = "portal.core.views.permission_denied"
handler404 = "portal.core.views.page_not_found"
handler500 = "portal.core.views.server_error"
