from django.core.management.base import BaseCommand

from portal.core.moments import AT_HELP, parse_at
from portal.files.resumable import expire_uploads


class Command(BaseCommand):
    help = (
        "Remove every resumable (tus) upload past its expiry (TUS_UPLOAD_EXPIRY_HOURS after "
        "its last bytes), with its partial file, and partial files no upload names. "
        "Prints 'uploads removed: N' and 'multipart uploads aborted: M' (S3)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help=AT_HELP)

    def handle(self, *args, at=None, **options):
        self.stdout.write(str(expire_uploads(parse_at(at))))
