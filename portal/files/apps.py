from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "portal.files"
    label = "files"
    verbose_name = "Files"

    def ready(self):
        from portal.files import checks  # noqa: F401  (the manifests' signing key, check --deploy)
