"""The checkpoint signing key: create it, or print its public half for auditors."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.audit.keyfile import (
    CheckpointKeyError,
    create_private_key,
    key_id,
    load_private_key,
    public_key_pem,
)


class Command(BaseCommand):
    help = (
        "Print the public key of AUDIT_SIGNING_KEY_FILE (give it to whoever verifies the "
        "audit log); with --create, first create the key if there is none."
    )
    # The deploy check of the key must not stop the command that creates it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--create", action="store_true", help="Create the key file if it does not exist."
        )

    def handle(self, *args, create=False, **options):
        path = Path(settings.AUDIT_SIGNING_KEY_FILE)
        try:
            if create and not path.exists():
                key = create_private_key(path)
                self.stderr.write(f"Created the audit signing key {path}.")
            else:
                key = load_private_key(path)
        except (CheckpointKeyError, OSError) as error:
            raise CommandError(str(error)) from None
        public = key.public_key()
        self.stderr.write(f"Key id {key_id(public)}; its public key:")
        self.stdout.write(public_key_pem(public), ending="")
