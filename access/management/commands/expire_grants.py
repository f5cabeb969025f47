from django.core.management.base import BaseCommand

from access.services import expire_grants
from portal.core.moments import AT_HELP, parse_at


class Command(BaseCommand):
    help = (
        "Close every grant, and every nomination never approved, whose access window "
        "has ended, each exactly once. Prints 'grants closed: N'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help=AT_HELP)

    def handle(self, *args, at=None, **options):
        closed = expire_grants(parse_at(at))
        self.stdout.write(f"grants closed: {closed}")
