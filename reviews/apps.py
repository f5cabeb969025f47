from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # Everything the review app adds to the portal's hooks (portal.core.hooks).
        from portal.accounts.models import Membership
        from portal.core.hooks import nav_link
        from reviews import (  # noqa: F401
            demo,  # demo assignments, findings, requests and recommendations
            demo_frontier,  # demo history of the capability frontier, and a jump
            panels,  # the review section of the developer's case page
            queue_copies,  # the routings' reviewer counts, for check_queue_copies
            reminders,  # reviewers', coordinators' and developers' deadlines
            signals,  # follows cases: a withdrawal closes open requests
        )

        Role = Membership.Role
        coordinator, reviewer = [Role.COORDINATOR], [Role.REVIEWER]
        nav_link(
            "Agency queue",
            "reviews:agency_queue",
            roles=coordinator,
            order=10,
            home_for=coordinator,
        )
        nav_link("Reviewers", "reviews:agency_reviewers", roles=coordinator, order=20)
        nav_link("My cases", "reviews:my_cases", roles=reviewer, order=10, home_for=reviewer)
