"""The ``--at`` option of the periodic commands: a moment to run as of, in ISO 8601."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

AT_HELP = (
    "Run as of this ISO-8601 moment (default: now), e.g. 2026-12-01T09:00:00+00:00; "
    "without an offset, in the portal's time zone."
)


def parse_at(value: str | None) -> datetime | None:
    """The moment ``value`` names, aware; None (now) when not given. Refuses anything else."""
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:  # well formed, but no such moment (month 13, hour 25)
        moment = None
    if moment is None:
        raise CommandError(f"--at must be an ISO-8601 date and time, not {value!r}.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
