from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: forms, pagination, template tags, error pages, the hooks."""

    name = "portal.core"
    label = "core"
    verbose_name = "Portal core"
