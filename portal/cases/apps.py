from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self):
        from portal.accounts.models import Membership
        from portal.cases import (  # noqa: F401
            demo,  # registers its seeder
            queue_copies,  # the routings' copies of the case, for check_queue_copies
        )
        from portal.core.hooks import nav_link

        developers = [Membership.Role.SUBMITTER, Membership.Role.ORG_ADMIN]
        nav_link("Cases", "portal:case_list", roles=developers, order=10, home_for=developers)
