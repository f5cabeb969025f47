from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Critical-infrastructure access"

    def ready(self):
        # Everything the access app adds to the portal's hooks (portal.core.hooks).
        from access import (  # noqa: F401
            demo,  # demo grants, terms and reports
            operator_readers,  # who among the operators reads what is shared with them
            panels,  # grants, nominations and reports on the case page
            reminders,  # grants ending and ended
            search,  # an operator's granted models on the search page
            signals,  # follows cases (routing to a new agency)
        )
        from portal.accounts.models import Membership
        from portal.core.hooks import nav_link

        team = [Membership.Role.SECURITY_TEAM]
        nav_link("Granted models", "access:granted_models", roles=team, order=10, home_for=team)
