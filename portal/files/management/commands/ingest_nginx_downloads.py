from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.files.downloads import record_nginx_deliveries


class Command(BaseCommand):
    help = (
        "Read nginx's download log (deploy/nginx.conf, log_format portal_download) and "
        "record the bytes nginx actually sent for X-Accel downloads, which until then say "
        "only what was requested. Safe to run again on the same log. Prints "
        "'downloads completed: N'."
    )

    def add_arguments(self, parser):
        parser.add_argument("log", help="The path of nginx's downloads.log.")

    def handle(self, *args, log, **options):
        path = Path(log)
        if not path.is_file():
            raise CommandError(f"{log} is not a file: give the path of nginx's downloads.log.")
        with path.open(encoding="utf-8", errors="replace") as lines:
            completed = record_nginx_deliveries(lines)
        self.stdout.write(f"downloads completed: {completed}")
