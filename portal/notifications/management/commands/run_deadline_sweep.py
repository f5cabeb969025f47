from django.core.management.base import BaseCommand

from portal.core.hooks import SOURCES
from portal.core.moments import AT_HELP, parse_at
from portal.notifications.sweep import run_sweep


class Command(BaseCommand):
    help = (
        "Send the deadline reminders that are due, each exactly once. "
        "Prints one line per kind and, last, 'reminders sent: N'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help=AT_HELP)

    def handle(self, *args, at=None, **options):
        counts = run_sweep(parse_at(at))
        descriptions = {kind: description for kind, description, _ in SOURCES}
        for kind, count in counts.items():
            self.stdout.write(f"{descriptions.get(kind, kind)}: {count}")
        total = sum(count for kind, count in counts.items() if kind != "pending emails")
        self.stdout.write(f"reminders sent: {total}")
