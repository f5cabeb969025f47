from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from portal import signals  # noqa: F401  (connects the audit receivers)


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (two-step sign-in, audited lockouts)."""

    default = False  # named in INSTALLED_APPS; PortalConfig stays the portal app's own
    default_site = "portal.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()
        from django.contrib import admin

        from portal.admin_site import register_security_admin

        register_security_admin(admin.site)
