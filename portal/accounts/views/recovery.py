"""A forgotten password: a reset link by email.

The pages are open to anyone (the link is the proof). A link that is
expired, used or forged gets a plain page that says so, and changes nothing.
Setting a password here ends every signed-in session of the person.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from portal.accounts import session_policy
from portal.accounts.forms import PortalPasswordResetForm, PortalSetPasswordForm
from portal.audit import events as audit


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    form_class = PortalPasswordResetForm
    email_template_name = "portal/email/password_reset.txt"
    subject_template_name = "portal/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_sent")

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        ended = session_policy.end_sessions_of(form.user)
        audit.record(
            "auth.password_reset_completed",
            actor=form.user,
            target=form.user,
            details={"sessions_ended": ended},
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
