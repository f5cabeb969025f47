from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "portal.files"
    label = "files"
    verbose_name = "Files"

    def ready(self):
        from portal.core.hooks import temp_upload_dir
        from portal.files import tasks  # noqa: F401  (registers the storage check's task)
        from portal.files.uploads import incoming_dir

        # Streamed uploads wait here while their bytes arrive (portal.files.uploads).
        temp_upload_dir("streamed uploads")(lambda: (incoming_dir(), "upload-*"))
        from portal.files import checks  # noqa: F401, PLC0415  (SHA-256 state; the manifests' signing key)
