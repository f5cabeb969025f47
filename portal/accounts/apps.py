from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "People and organizations"

    def ready(self):
        from portal.accounts import (
            checks,  # noqa: F401  (proxy settings, for check --deploy)
            receivers,  # noqa: F401  (audits sign-ins and permissions)
        )
        from portal.accounts.models import Membership
        from portal.core.hooks import nav_link

        Role = Membership.Role
        nav_link(
            "Access tokens",
            "portal:token_list",
            roles=[Role.REVIEWER, Role.SUBMITTER, Role.ORG_ADMIN, Role.SECURITY_TEAM],
            order=60,
        )


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (two-step sign-in, audited lockouts)."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "portal.accounts.admin_site.PortalAdminSite"

    def ready(self):
        super().ready()
        from django.contrib import admin

        from portal.accounts.admin_site import register_security_admin

        register_security_admin(admin.site)
