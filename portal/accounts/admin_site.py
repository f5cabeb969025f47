"""The Django admin behind the portal's own two-step sign-in.

The admin has no sign-in page of its own: ``/admin/login/`` sends to the
portal's (password, then code), so there is one way in, throttled and
audited. With ``MFA_ENFORCED`` the admin also refuses a session whose second
step was not taken, whatever middleware runs before it.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.audit import events as audit


class PortalAdminSite(admin.AdminSite):
    site_header = "Frontier Review Portal administration"
    site_title = "Frontier Review Portal"

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.MFA_ENFORCED or request.user.is_verified()

    @login_not_required
    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            raise PermissionDenied("The administration is for platform admins.")
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        return redirect_to_login(next_url)


def register_security_admin(site) -> None:
    """Replace axes' failed sign-in admin with one whose deletes (lifting a lockout) are audited.

    Imported late: axes' admin module registers itself on the default site,
    which is this module's class being set up.
    """
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt

    class AuditedAccessAttemptAdmin(AccessAttemptAdmin):
        def _lifted(self, attempts):
            for attempt in attempts:
                audit.record(
                    "auth.lockout_lifted",
                    details={"username": attempt.username or "", "ip": attempt.ip_address or ""},
                )

        def delete_model(self, request, obj):
            self._lifted([obj])
            super().delete_model(request, obj)

        def delete_queryset(self, request, queryset):
            self._lifted(list(queryset))
            super().delete_queryset(request, queryset)

    if site.is_registered(AccessAttempt):
        site.unregister(AccessAttempt)
    site.register(AccessAttempt, AuditedAccessAttemptAdmin)


def lift_lockout(*, username: str | None = None, ip_address: str | None = None) -> int:
    """Forget the failed sign-ins of a username and/or an address; audited."""
    from axes.handlers.proxy import AxesProxyHandler

    count = AxesProxyHandler.reset_attempts(username=username, ip_address=ip_address)
    audit.record(
        "auth.lockout_lifted",
        actor=None,
        details={"username": username or "", "ip": ip_address or "", "records": count},
    )
    return count
