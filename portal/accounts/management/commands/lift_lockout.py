"""Lift a sign-in lockout (django-axes) for a username, an address, or both; audited."""

from django.core.management.base import BaseCommand, CommandError

from portal.accounts.admin_site import lift_lockout
from portal.core.words import counted


class Command(BaseCommand):
    help = "Forget the failed sign-ins of a username and/or an IP address, lifting the lockout."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--ip", dest="ip_address")

    def handle(self, *args, username=None, ip_address=None, **options):
        if not (username or ip_address):
            raise CommandError("Name a --username or an --ip (or both).")
        count = lift_lockout(username=username, ip_address=ip_address)
        self.stdout.write(f"Lifted: {counted(count, 'failed sign-in record')} removed.")
