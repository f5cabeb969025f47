from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications and reminders"

    def ready(self):
        from portal.accounts.models import Membership
        from portal.core.hooks import nav_link
        from portal.notifications import unread
        from portal.notifications.selectors import unread_count

        # Everyone with a role; the badge comes from the cache (no query once counted).
        nav_link(
            "Notifications",
            "portal:notification_list",
            roles=Membership.Role.values,
            order=90,
            badge=unread_count,
            badge_cache_key=unread.key,
        )
