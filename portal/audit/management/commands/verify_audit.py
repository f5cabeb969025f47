from django.core.management.base import BaseCommand, CommandError

from portal.audit.models import verify_chain
from portal.core.words import counted


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain. "
        "Exits 0 when it holds; otherwise names the first broken event."
    )

    def handle(self, *args, **options):
        checked, broken, why = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event #{broken.sequence} (id {broken.pk}, "
                f"{broken.action} at {broken.created_at.isoformat()}): {why}. "
                f"{counted(checked, 'event')} before it verified."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {counted(checked, 'event')} verified.")
        )
