"""``make bench``: seed a large data set, measure pages, transfers and the sweep.

    BENCH_SCALE=smoke python -m portal.bench run     # a minute; CI runs it
    python -m portal.bench run                       # full size (see docs/benchmarks.md)

Uses the configured database (DATABASE_URL for PostgreSQL, else SQLite under
VAR_DIR): point it at a database of its own. The table is printed and, with
``--write``, saved in docs/benchmarks.md.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.bench import concurrent, pages, report, seed, sweep, transfers, tus


class Command(BaseCommand):
    help = "Seed a large data set and measure pages, downloads, uploads and the deadline sweep."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(seed.SCALES),
            default=os.environ.get("BENCH_SCALE") or "full",
            help="Data and file sizes (default BENCH_SCALE, else full).",
        )
        parser.add_argument(
            "--write",
            metavar="PATH",
            help="Also write the tables to this Markdown file (make bench: docs/benchmarks.md).",
        )
        parser.add_argument(
            "--skip-transfers", action="store_true", help="Pages and sweep only (no servers)."
        )
        parser.add_argument(
            "--only",
            choices=["sweep", "pages"],
            help="Measure only this part and print its table (never written to --write).",
        )

    def handle(self, *args, scale, write, skip_transfers, only=None, **options):
        if scale not in seed.SCALES:
            raise CommandError(f"BENCH_SCALE must be one of {', '.join(seed.SCALES)}")
        if only and write:
            raise CommandError("--only measures a part: its table is printed, not written.")
        chosen = seed.SCALES[scale]
        self.stdout.write(f"seeding ({chosen.name}) …")
        seed.seed(chosen, stdout=self.stdout)
        if only == "sweep":
            self.stdout.write(f"measuring the deadline sweep … (load {_load()})")
            results = sweep.measure_sweep()
            self.stdout.write(report.render_sweep(results) + f"\n\nload at the end: {_load()}")
            return
        counts = _counts()
        load_at_start = os.getloadavg()[0]
        self.stdout.write(f"measuring pages … (load {_load()})")
        page_results = pages.measure_pages(chosen.page_repeats)
        # The load around the pages, which decides whether their rounds were repeated.
        page_loads = (load_at_start, os.getloadavg()[0])
        if only == "pages":
            self.stdout.write(report.render_pages(page_results, page_loads))
            return
        downloads, uploads, revocation, concurrent_results = [], [], [], []
        if not skip_transfers:
            workdir = Path(tempfile.mkdtemp(prefix="portal-bench-", dir=settings.VAR_DIR))
            try:
                self.stdout.write("measuring downloads …")
                downloads = transfers.measure_downloads(
                    chosen.artifact_bytes, chosen.transfer_repeats, workdir
                )
                self.stdout.write("measuring concurrent downloads (8 × aria2c -x8) …")
                concurrent_results = concurrent.measure_concurrent_downloads(
                    chosen.artifact_bytes, max(1, chosen.transfer_repeats // 2), workdir
                )
                self.stdout.write("measuring the revocation re-check …")
                revocation = transfers.measure_revocation_overhead(
                    chosen.artifact_bytes, chosen.transfer_repeats, workdir
                )
                self.stdout.write("measuring uploads …")
                uploads = transfers.measure_uploads(
                    chosen.artifact_bytes, chosen.transfer_repeats, workdir
                )
                self.stdout.write("measuring resumable (tus) uploads …")
                uploads += tus.measure_tus_uploads(
                    chosen.artifact_bytes, chosen.transfer_repeats, workdir
                )
            finally:
                transfers.cleanup(workdir)
        self.stdout.write("measuring the deadline sweep …")
        sweep_results = sweep.measure_sweep()
        counts["artifact MiB"] = chosen.artifact_bytes // (1024 * 1024)
        text = report.render(
            scale=chosen,
            database=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            counts=counts,
            pages=page_results,
            downloads=downloads,
            uploads=uploads,
            sweeps=sweep_results,
            revocation=revocation,
            concurrent=concurrent_results,
            loads=page_loads,
        )
        self.stdout.write(text)
        if write:
            _write(Path(write), text)
            self.stdout.write(f"written to {write}")


def _load() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def _counts() -> dict:
    from django.contrib.auth import get_user_model

    from portal.audit.models import AuditEvent
    from portal.cases.models import Submission
    from reviews.models import Assignment, Finding

    return {
        "cases": Submission.objects.count(),
        "assignments": Assignment.objects.count(),
        "findings": Finding.objects.count(),
        "people": get_user_model().objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


MARKER = "<!-- bench results below: written by `make bench` -->"


def _write(path: Path, text: str) -> None:
    """Replace the results under the marker, keep the prose above it."""
    head = path.read_text().split(MARKER)[0] if path.exists() else "# Benchmarks\n\n"
    path.write_text(head.rstrip() + "\n\n" + MARKER + "\n\n" + text + "\n")
