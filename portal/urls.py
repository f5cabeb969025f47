from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.accounts import api
from portal.accounts.forms import PortalPasswordChangeForm
from portal.accounts.views import home, signin, tokens, two_step
from portal.capability import views as frontier
from portal.cases.views import api as api_artifacts
from portal.cases.views import pages as cases
from portal.notifications import views as notifications

portal_patterns = [
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new", cases.case_create, name="case_create"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit", cases.case_edit, name="case_edit"),
    path("cases/<int:pk>/submit", cases.case_submit, name="case_submit"),
    path("cases/<int:pk>/withdraw", cases.case_withdraw, name="case_withdraw"),
    path("cases/<int:pk>/released", cases.case_mark_released, name="case_mark_released"),
    path("cases/<int:pk>/artifacts/upload", cases.artifact_upload, name="artifact_upload"),
    path(
        "cases/<int:pk>/artifacts/<int:artifact_id>/download",
        cases.artifact_download,
        name="artifact_download",
    ),
    path(
        "cases/<int:pk>/artifacts/<int:artifact_id>/delete",
        cases.artifact_delete,
        name="artifact_delete",
    ),
    path("cases/<int:pk>/scores", cases.eval_result_set, name="eval_result_set"),
    path(
        "cases/<int:pk>/scores/<int:result_id>/remove",
        cases.eval_result_remove,
        name="eval_result_remove",
    ),
    path("frontier/", frontier.frontier, name="frontier"),
    path("frontier.csv", frontier.frontier_csv, name="frontier_csv"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/read", notifications.notifications_mark_read, name="notifications_read"),
    path("notifications/email", notifications.email_delivery, name="email_delivery"),
    path("account/tokens/", tokens.token_list, name="token_list"),
    path("account/tokens/new", tokens.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke", tokens.token_revoke, name="token_revoke"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("login/", signin.sign_in, name="login"),
    path("login/code", signin.sign_in_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/confirm", signin.reauthenticate, name="reauthenticate"),
    path("account/two-step/", two_step.overview, name="mfa_overview"),
    path("account/two-step/setup", two_step.setup, name="mfa_setup"),
    path(
        "account/two-step/recovery-codes",
        two_step.recovery_codes_new,
        name="mfa_recovery_codes",
    ),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="portal/password_change.html", form_class=PortalPasswordChangeForm
        ),
        name="password_change",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html"),
        name="password_change_done",
    ),
    path("api/v1/me", api.me, name="api_me"),
    path(
        "api/v1/cases/<int:pk>/artifacts/<str:name>",
        api_artifacts.artifact_put,
        name="api_artifact_put",
    ),
    path("", include((portal_patterns, "portal"))),
    path("api/v1/", include("access.api_urls")),
    path("reviews/", include("reviews.urls")),
    path("access/", include("access.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.core.views.bad_request"
handler403 = "portal.core.views.permission_denied"
handler404 = "portal.core.views.page_not_found"
handler500 = "portal.core.views.server_error"
