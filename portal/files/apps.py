from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "portal.files"
    label = "files"
    verbose_name = "Files"

    def ready(self):
        from portal.files import checks  # noqa: F401, PLC0415  (the SHA-256 state check)
