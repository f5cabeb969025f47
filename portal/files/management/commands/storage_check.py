"""List (and with --fix remove) what dead uploads left behind; report rows whose file is gone."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from portal.core.words import counted
from portal.files.reconcile import check_storage


class Command(BaseCommand):
    help = (
        "Compare storage with the rows of stored files. Lists temporary uploads and stored "
        "files with no row older than STORAGE_TEMP_GRACE_HOURS (removed with --fix), and rows "
        "whose file is missing (never removed: restore the file from a backup). Exits 1 when "
        "a row's file is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Remove the temporary uploads and unowned files."
        )

    def handle(self, *args, fix=False, **options):
        report = check_storage(fix=fix)
        for leftover in report.leftovers:
            self.stdout.write(
                f"{leftover.kind}: {leftover.name} ({filesizeformat(leftover.size)}, "
                f"last changed {leftover.modified.isoformat(timespec='seconds')})"
                + (" — removed" if fix else "")
            )
        for missing in report.missing:
            self.stdout.write(f"missing file: {missing.model} #{missing.pk} names {missing.name}")
        grace = counted(settings.STORAGE_TEMP_GRACE_HOURS, "hour")
        self.stdout.write(
            f"{counted(report.rows, 'stored file row')} checked; older than {grace}: "
            f"{counted(len(report.temporary), 'temporary upload')}, "
            f"{counted(len(report.unowned), 'file')} with no row"
            + (f" ({counted(report.removed, 'file')} removed)" if fix else "")
            + f"; {counted(len(report.missing), 'row')} whose file is missing."
        )
        if report.leftovers and not fix:
            self.stdout.write("Run with --fix to remove the files nothing needs.")
        if report.missing:
            raise CommandError(
                f"{counted(len(report.missing), 'row')} name a file storage does not hold: "
                "restore those files from a backup (docs/operations.md)."
            )
