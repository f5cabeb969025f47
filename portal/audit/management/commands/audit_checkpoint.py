"""Sign the audit chain's head now (beat does it every AUDIT_CHECKPOINT_SECONDS)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.audit.checkpoints import make_checkpoint
from portal.audit.keyfile import CheckpointKeyError


class Command(BaseCommand):
    help = (
        "Sign the audit log's head (sequence, hash, time) with AUDIT_SIGNING_KEY_FILE and "
        "append it to AUDIT_CHECKPOINT_FILE (and mail it to AUDIT_CHECKPOINT_EMAIL)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Sign even if the head has not moved."
        )

    def handle(self, *args, force=False, **options):
        try:
            checkpoint = make_checkpoint(force=force)
        except CheckpointKeyError as error:
            raise CommandError(f"No checkpoint: {error}.") from None
        if checkpoint is None:
            self.stdout.write("The audit log has not moved since the last checkpoint.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint #{checkpoint.sequence} {checkpoint.hash} at {checkpoint.time} "
                f"appended to {settings.AUDIT_CHECKPOINT_FILE}."
            )
        )
