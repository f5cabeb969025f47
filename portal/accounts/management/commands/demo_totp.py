"""Print a demo account's current two-step sign-in code (the published demo secret only)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.mfa import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current code of a demo user's authenticator (seeded by seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=True, key=DEMO_TOTP_KEY).first()
            if user
            else None
        )
        if device is None:
            # Only the published demo secret: a real person's codes are nobody's to print.
            raise CommandError(f"{username} has no demo authenticator (run seed_demo).")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
