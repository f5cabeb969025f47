"""One count of days left for every page: calendar days in the portal's time zone."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from portal.core.days import day_count, days_until

UTC = ZoneInfo("UTC")


def test_a_deadline_counts_calendar_days_not_24_hour_spans():
    now = timezone.make_aware(datetime(2026, 12, 1, 9, 0))
    # Ends at 08:00 on the 46th day: 45 whole 24-hour spans, but 46 dates away.
    ends = now + timedelta(days=46) - timedelta(hours=1)
    assert days_until(ends, now=now) == 46


def test_dates_and_moments_agree():
    now = timezone.make_aware(datetime(2026, 12, 1, 23, 30))
    assert days_until(date(2026, 12, 3), now=now) == 2
    assert days_until(timezone.make_aware(datetime(2026, 12, 3, 0, 5)), now=now) == 2
    assert days_until(date(2026, 12, 3), now=date(2026, 12, 1)) == 2


def test_the_day_itself_is_zero_and_past_deadlines_are_negative():
    assert days_until(date(2026, 12, 1), now=date(2026, 12, 1)) == 0
    assert days_until(date(2026, 11, 28), now=date(2026, 12, 1)) == -3


def test_moments_are_read_in_the_portals_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on the 2nd is still the 1st in New York.
    ends = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert days_until(ends, now=date(2026, 12, 1)) == 0


def test_default_now_is_today():
    assert days_until(timezone.localdate() + timedelta(days=5)) == 5


def test_day_count_is_plural_where_it_should_be():
    assert day_count(1) == "1 day"
    assert day_count(2) == "2 days"
    assert day_count(0) == "0 days"
    assert "(s)" not in day_count(5)
