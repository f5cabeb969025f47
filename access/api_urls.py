"""Script access with personal access tokens, under /api/v1/."""

from django.urls import path

from access.views import downloads, snapshots

urlpatterns = [
    path("grants/", downloads.api_grants, name="api_grants"),
    path(
        "grants/<int:grant_id>/artifacts/<int:artifact_id>/<str:filename>",
        downloads.api_download,
        name="api_download",
    ),
    path("grants/<int:grant_id>/SHA256SUMS", downloads.api_sha256sums, name="api_sha256sums"),
    path("grants/<int:grant_id>/aria2.txt", snapshots.api_aria2, name="api_aria2"),
    path("grants/<int:grant_id>/model.sig", snapshots.api_model_sig, name="api_model_sig"),
]
