from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # Everything the review app adds to the portal's hooks (portal.core.hooks).
        from reviews import (  # noqa: F401
            demo,  # demo assignments, findings, requests and recommendations
            demo_frontier,  # demo history of the capability frontier, and a jump
            panels,  # the review section of the developer's case page
            queue_copies,  # the routings' reviewer counts, for check_queue_copies
            reminders,  # reviewers', coordinators' and developers' deadlines
            signals,  # follows cases: a withdrawal closes open requests
        )
