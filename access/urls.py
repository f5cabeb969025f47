from django.urls import path

from access.views import developer, downloads, operator, reports, snapshots

app_name = "access"
urlpatterns = [
    # Operators.
    path("granted/", operator.granted_models, name="granted_models"),
    path("grants/<int:grant_id>/", operator.grant_detail, name="grant_detail"),
    path("history/", operator.download_history, name="download_history"),
    path("terms/", operator.terms, name="terms"),
    path("terms/accept", operator.terms_accept, name="terms_accept"),
    # Downloads in the browser (session); scripts use the API's twins.
    path(
        "grants/<int:grant_id>/artifacts/<int:artifact_id>/<str:filename>",
        downloads.browser_download,
        name="download",
    ),
    path("grants/<int:grant_id>/SHA256SUMS", downloads.browser_sha256sums, name="sha256sums"),
    path("grants/<int:grant_id>/model.sig", snapshots.browser_model_sig, name="model_sig"),
    # The developer and the agencies.
    path("cases/<int:case_id>/grant", developer.grant, name="grant_create"),
    path("cases/<int:case_id>/nominate", developer.nominate, name="grant_nominate"),
    path("grants/<int:grant_id>/approve", developer.approve, name="grant_approve"),
    path("grants/<int:grant_id>/revoke", developer.revoke, name="grant_revoke"),
    path("cases/<int:case_id>/downloads", developer.case_downloads, name="case_downloads"),
    # Operators' evaluation reports.
    path("grants/<int:grant_id>/report", reports.report_create, name="report_create"),
    path("reports/<int:report_id>/", reports.report_detail, name="report_detail"),
    path(
        "reports/<int:report_id>/files/<int:file_id>",
        reports.report_file_download,
        name="report_file",
    ),
]
