from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self):
        from portal.cases import (  # noqa: F401
            demo,  # registers its seeder
            queue_copies,  # the routings' copies of the case, for check_queue_copies
        )
