from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "portal.discussions"
    label = "discussions"
    verbose_name = "Discussions"

    def ready(self):
        # Everything the discussions app adds to the portal's hooks (portal.core.hooks).
        from portal.accounts.models import Membership
        from portal.core.hooks import nav_link
        from portal.discussions import (  # noqa: F401
            demo,  # an interagency thread and a developer thread
            panels,  # the case's threads on the developer's case page and the workspace
        )
        from portal.discussions.unread import unread_badge, unread_badge_key

        nav_link(
            "Discussions",
            "discussions:inbox",
            roles=Membership.Role.values,
            order=40,
            badge=unread_badge,
            badge_cache_key=unread_badge_key,
        )
