from django.urls import path

from portal.cases.views import api, pages, sections, snapshots, uploads

# Under the portal's namespace ("portal:case_list", …): see portal/urls.py.
urlpatterns = [
    path("cases/", pages.case_list, name="case_list"),
    path("cases/new", pages.case_create, name="case_create"),
    # The case page's sections (GET); the forms on them post to the paths below.
    path("cases/<int:pk>/", sections.overview, name="case_detail"),
    path("cases/<int:pk>/artifacts/", sections.artifacts, name="case_artifacts"),
    path("cases/<int:pk>/scores/", sections.scores, name="case_scores"),
    path("cases/<int:pk>/timeline/", sections.timeline, name="case_timeline"),
    # The sections other apps add (portal.core.hooks.case_panel), after the fixed ones.
    path("cases/<int:pk>/<slug:section>/", sections.added_section, name="case_section"),
    path("cases/<int:pk>/edit", pages.case_edit, name="case_edit"),
    path("cases/<int:pk>/submit", pages.case_submit, name="case_submit"),
    path("cases/<int:pk>/withdraw", pages.case_withdraw, name="case_withdraw"),
    path("cases/<int:pk>/released", pages.case_mark_released, name="case_mark_released"),
    path(
        "cases/<int:pk>/release-date",
        pages.case_change_release_date,
        name="case_change_release_date",
    ),
    path("cases/<int:pk>/artifacts/upload", pages.artifact_upload, name="artifact_upload"),
    path(
        "cases/<int:pk>/artifacts/<int:artifact_id>/download",
        pages.artifact_download,
        name="artifact_download",
    ),
    path(
        "cases/<int:pk>/artifacts/<int:artifact_id>/delete",
        pages.artifact_delete,
        name="artifact_delete",
    ),
    path("cases/<int:pk>/model.sig", snapshots.case_model_sig, name="case_model_sig"),
    # POST only, as before the Scores section had its own page at scores/.
    path("cases/<int:pk>/scores", pages.eval_result_set, name="eval_result_set"),
    path(
        "cases/<int:pk>/scores/<int:result_id>/remove",
        pages.eval_result_remove,
        name="eval_result_remove",
    ),
    path(
        "cases/<int:pk>/scores/<int:result_id>/correct",
        pages.eval_result_correct,
        name="eval_result_correct",
    ),
]

# Outside the namespace: the artifact PUT API.
api_urlpatterns = [
    path("api/v1/cases/<int:pk>/artifacts/<str:name>", api.artifact_put, name="api_artifact_put"),
    # Resumable uploads (tus 1.0): create here, then HEAD/PATCH/DELETE the upload's URL.
    path("api/v1/cases/<int:pk>/uploads/", uploads.upload_create, name="api_uploads"),
    path("api/v1/cases/<int:pk>/uploads/<str:key>", uploads.upload_detail, name="api_upload"),
]
