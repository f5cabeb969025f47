from django.contrib.auth import views as auth_views
from django.urls import path

from portal.accounts import api
from portal.accounts.forms import PortalPasswordChangeForm
from portal.accounts.views import (
    email_change,
    home,
    invitation,
    passkeys,
    recovery,
    signin,
    tokens,
    two_step,
)

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
        "account/two-step/passkeys/begin",
        passkeys.registration_begin,
        name="passkey_registration_begin",
    ),
    path(
        "account/two-step/passkeys/complete",
        passkeys.registration_complete,
        name="passkey_registration_complete",
    ),
    path(
        "account/two-step/passkeys/<int:passkey_id>/remove",
        passkeys.remove,
        name="passkey_remove",
    ),
    path("account/confirm/passkey/begin", passkeys.confirm_begin, name="passkey_confirm_begin"),
    path(
        "account/confirm/passkey/complete",
        passkeys.confirm_complete,
        name="passkey_confirm_complete",
    ),
    path("login/passkey/begin", passkeys.sign_in_begin, name="passkey_sign_in_begin"),
    path("login/passkey/complete", passkeys.sign_in_complete, name="passkey_sign_in_complete"),
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
    path("password-reset/", recovery.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent", recovery.PasswordResetSentView.as_view(), name="password_reset_sent"
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        recovery.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done",
        recovery.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:token>/", invitation.invitation_accept, name="invitation_accept"),
    path("account/email/", email_change.email_change, name="email_change"),
    path(
        "account/email/confirm/<str:token>/",
        email_change.email_change_confirm,
        name="email_change_confirm",
    ),
    path("api/v1/me", api.me, name="api_me"),
]

# Under the portal's namespace ("portal:token_list", …).
namespaced_urlpatterns = [
    path("account/tokens/", tokens.token_list, name="token_list"),
    path("account/tokens/new", tokens.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke", tokens.token_revoke, name="token_revoke"),
]
