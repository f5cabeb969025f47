from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "portal.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self):
        from portal.cases import demo  # noqa: F401  (registers its seeder)
