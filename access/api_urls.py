"""Script access with personal access tokens, under /api/v1/."""

from django.urls import path

from access.views import downloads

urlpatterns = [
    path("grants/", downloads.api_grants, name="api_grants"),
    path(
        "grants/<int:grant_id>/artifacts/<int:artifact_id>/<str:filename>",
        downloads.api_download,
        name="api_download",
    ),
    path("grants/<int:grant_id>/SHA256SUMS", downloads.api_sha256sums, name="api_sha256sums"),
]
