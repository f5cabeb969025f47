"""Days left until a date or a moment: one count for every page, reminder and email.

A deadline is counted in calendar days in the portal's time zone, from today's
date to the deadline's date: 0 on the day itself, negative once it has passed.
A page that counted whole 24-hour spans instead would say one day fewer than a
page that counted dates, for the same deadline on the same morning.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import ngettext


def local_date(moment: date | datetime) -> date:
    """The calendar date of ``moment`` in the portal's time zone (a date is itself)."""
    if isinstance(moment, datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def days_until(deadline: date | datetime, *, now: date | datetime | None = None) -> int:
    """Calendar days from ``now`` (default: today) to ``deadline``; negative when past."""
    today = local_date(now) if now is not None else timezone.localdate()
    return (local_date(deadline) - today).days


def day_count(days: int) -> str:
    """'1 day', '2 days', '0 days': a number of days in words, never 'day(s)'."""
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
