from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Critical-infrastructure access"

    def ready(self):
        # The case page shows grants, nominations and reports through a panel (portal.panels).
        import access.panels  # noqa: F401
        import access.signals  # noqa: F401  (follows cases through portal's signals)
