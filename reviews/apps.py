from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # The developer's case page shows the review through a panel (portal.panels).
        import reviews.panels  # noqa: F401
        import reviews.signals  # noqa: F401  (follows cases through portal's signals)
