from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.core.hooks import SOURCES
from portal.notifications.sweep import run_sweep


class Command(BaseCommand):
    help = (
        "Send the deadline reminders that are due, each exactly once, and close what "
        "has expired. Prints one line per kind and, last, 'reminders sent: N'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            help="Evaluate deadlines as of this ISO-8601 moment (default: now), "
            "e.g. 2026-12-01T09:00:00+00:00.",
        )

    def handle(self, *args, at=None, **options):
        moment = None
        if at is not None:
            try:
                moment = parse_datetime(at)
            except ValueError:  # well formed, but no such moment (month 13, hour 25)
                moment = None
            if moment is None:
                raise CommandError(f"--at must be an ISO-8601 date and time, not {at!r}.")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        counts = run_sweep(moment)
        descriptions = {kind: description for kind, description, _ in SOURCES}
        for kind, count in counts.items():
            self.stdout.write(f"{descriptions.get(kind, kind)}: {count}")
        total = sum(count for kind, count in counts.items() if kind != "pending emails")
        self.stdout.write(f"reminders sent: {total}")
