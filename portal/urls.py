from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import api
from portal.forms import PortalPasswordChangeForm, SignInForm
from portal.views import home, tokens

portal_patterns = [
    path("cases/", home.case_list, name="case_list"),
    path("account/tokens/", tokens.token_list, name="token_list"),
    path("account/tokens/new", tokens.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke", tokens.token_revoke, name="token_revoke"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("", include((portal_patterns, "portal"))),
    path("reviews/", include("reviews.urls")),
    path("access/", include("access.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "portal.views.errors.permission_denied"
