"""Compare the agencies' queues' copies with their sources; --repair rewrites them.

Each ``CaseRouting`` carries copies that database triggers keep: its case's
status and due date, and its agency's number of active reviewers. Run this
after a restore, a manual SQL session or a migration that rebuilt one of the
tables, which are the ways to bypass the triggers. It exits with status 1 when
a copy differs from its source, unless ``--repair`` rewrote it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.cases.models import CaseRouting
from portal.core.hooks import QUEUE_COPIES

SHOWN = 20


class Command(BaseCommand):
    help = "Check the routings' copies (case status, due date, reviewers) against their sources."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="Rewrite the copies that differ from the source."
        )

    def handle(self, *args, repair=False, **options):
        drifted = 0
        with transaction.atomic():
            for name, check in QUEUE_COPIES:
                rows = check(repair)
                drifted += len(rows)
                if not rows:
                    self.stdout.write(f"{name}: in step")
                    continue
                done = "repaired" if repair else "differ from the source"
                self.stdout.write(f"{name}: {len(rows)} routings {done}")
                labels = CaseRouting.objects.select_related("case", "agency").in_bulk(
                    [routing_id for routing_id, _, _ in rows[:SHOWN]]
                )
                for routing_id, stored, source in rows[:SHOWN]:
                    label = labels.get(routing_id, f"routing {routing_id}")
                    self.stdout.write(f"  {label}: stored {stored}, source {source}")
                if len(rows) > SHOWN:
                    self.stdout.write(f"  … and {len(rows) - SHOWN} more")
        if drifted and not repair:
            raise CommandError(
                f"{drifted} copies differ from their source: run with --repair to rewrite them."
            )
