"""The manifests' signing key: create it, or print its public half for banks."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.files.manifests import (
    ManifestKeyError,
    create_private_key,
    load_private_key,
    public_key_pem,
)


class Command(BaseCommand):
    help = (
        "Print the public key of MANIFEST_SIGNING_KEY_FILE (banks verify model.sig with it); "
        "with --create, first create the key (EC P-256) if there is none."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--create", action="store_true", help="Create the key file if it does not exist."
        )

    def handle(self, *args, create=False, **options):
        path = Path(settings.MANIFEST_SIGNING_KEY_FILE)
        try:
            if create and not path.exists():
                create_private_key(path)
                self.stderr.write(f"Created the manifest signing key {path}.")
            else:
                load_private_key(path)
            self.stdout.write(public_key_pem(path), ending="")
        except (ManifestKeyError, OSError) as error:
            raise CommandError(str(error)) from None
