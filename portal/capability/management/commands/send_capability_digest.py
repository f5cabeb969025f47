from django.core.management.base import BaseCommand

from portal.capability.digest import send_digests
from portal.core.moments import AT_HELP, parse_at


class Command(BaseCommand):
    help = (
        "Send this week's capability digest to monitoring-agency staff, once per person "
        "and week. --dry-run prints who would get what and sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help=AT_HELP)
        parser.add_argument("--dry-run", action="store_true", help="Print, send nothing.")

    def handle(self, *args, at=None, dry_run=False, **options):
        outcomes = send_digests(parse_at(at), dry_run=dry_run)
        for user, sent, digest in outcomes:
            jumps = sum(len(group) for _, group in digest.jumps_by_rule)
            what = (
                f"{len(digest.new_results)} new, {jumps} jumps, "
                f"{len(digest.discrepancies)} discrepancies, {len(digest.corrections)} corrections"
            )
            state = "would send" if dry_run else ("sent" if sent else "already sent")
            self.stdout.write(f"{user.username}: {state} ({what})")
        total = sum(1 for _user, sent, _digest in outcomes if sent)
        self.stdout.write(
            f"digests {'to send' if dry_run else 'sent'}: {len(outcomes) if dry_run else total}"
        )
