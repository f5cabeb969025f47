from django.apps import AppConfig


class CapabilityConfig(AppConfig):
    name = "portal.capability"
    label = "capability"
    verbose_name = "Capability monitoring"

    def ready(self):
        from portal.accounts.models import Membership
        from portal.capability import (  # noqa: F401  (registered by import)
            panels,  # open routing requests on the lead's workspace
            receivers,  # evaluates submitted cases
        )
        from portal.capability.kept import connect
        from portal.core.hooks import nav_link

        connect()  # a write that can change a frontier forgets the kept ones

        Role = Membership.Role
        nav_link(
            "Frontier",
            "portal:frontier",
            roles=[Role.COORDINATOR, Role.REVIEWER, Role.SUBMITTER, Role.ORG_ADMIN],
            order=50,
        )
