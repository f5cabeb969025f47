from django.apps import AppConfig


class CapabilityConfig(AppConfig):
    name = "portal.capability"
    label = "capability"
    verbose_name = "Capability monitoring"

    def ready(self):
        from portal.capability import receivers  # noqa: F401  (evaluates submitted cases)
