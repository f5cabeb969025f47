"""Check the audit log: its hash chain, then the chain against the signed checkpoints.

By default the checkpoints are AUDIT_CHECKPOINT_FILE and the public key is the
public half of AUDIT_SIGNING_KEY_FILE. An auditor with a copy of the database,
a copy of the checkpoint log and the public key — never the private key — runs
``verify_audit --checkpoints FILE --public-key FILE``.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.audit.checkpoints import read_lines, verify
from portal.audit.keyfile import CheckpointKeyError, load_public_key
from portal.audit.models import verify_chain
from portal.core.words import counted

SHOWN_PER_KIND = 5


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain and compare it with the signed checkpoints. "
        "Exits 0 when both hold; otherwise names what failed: a broken event, events missing "
        "after a checkpoint (truncation), a changed hash at a checkpointed sequence (rewrite), "
        "or a checkpoint whose signature fails."
    )
    # Runs on a copy of the database without the private key: no deploy checks here.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="The checkpoint log (JSON lines). Default: AUDIT_CHECKPOINT_FILE.",
        )
        parser.add_argument(
            "--public-key",
            type=Path,
            action="append",
            dest="public_keys",
            help="A PEM public key the checkpoints were signed with (repeat for several). "
            "Default: the public half of AUDIT_SIGNING_KEY_FILE.",
        )

    def handle(self, *args, checkpoints=None, public_keys=None, **options):
        failures: list[str] = []
        checked, broken, why = verify_chain()
        if broken is not None:
            failures.append(
                f"Audit chain broken at event #{broken.sequence} (id {broken.pk}, "
                f"{broken.action} at {broken.created_at.isoformat()}): {why}. "
                f"{counted(checked, 'event')} before it verified."
            )
        summary = self._compare_with_checkpoints(checkpoints, public_keys, failures)
        if failures:
            raise CommandError("\n".join(failures))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {counted(checked, 'event')} verified. {summary}"
            )
        )

    def _compare_with_checkpoints(self, path, key_paths, failures: list[str]) -> str:
        explicit = path is not None
        path = Path(path or settings.AUDIT_CHECKPOINT_FILE)
        if not path.exists():
            if explicit:
                raise CommandError(f"No checkpoint log at {path}.")
            return f"No checkpoints at {path}: the chain was checked against itself only."
        try:
            keys = [
                load_public_key(key_path)
                for key_path in key_paths or [settings.AUDIT_SIGNING_KEY_FILE]
            ]
        except CheckpointKeyError as error:
            raise CommandError(
                f"Cannot check the checkpoints: {error}. Name the public key with --public-key."
            ) from None
        trusted, problems = verify(read_lines(path), keys)
        if problems:
            failures.append(f"The audit log fails its checkpoints ({path}):")
            for kind in ("truncation", "rewrite", "bad signature", "unreadable"):
                of_kind = [problem for problem in problems if problem.kind == kind]
                for problem in of_kind[:SHOWN_PER_KIND]:
                    failures.append(f"- {kind}: {problem.message}")
                if len(of_kind) > SHOWN_PER_KIND:
                    failures.append(f"- {kind}: … and {len(of_kind) - SHOWN_PER_KIND} more")
            return ""
        if not trusted:
            return f"The checkpoint log {path} is empty."
        latest = trusted[-1]
        return (
            f"It agrees with {counted(len(trusted), 'signed checkpoint')}, "
            f"the latest at #{latest.sequence} ({latest.time})."
        )
