"""Axis arithmetic for the frontier charts: round value ticks and calendar date ticks."""

import math
from datetime import date, datetime

from django.utils import timezone

NICE_STEPS = (1, 2, 2.5, 5, 10)
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def nice_range(low: float, high: float, intervals: int = 4) -> tuple[float, float, float]:
    """Round axis ends and a step of 1, 2, 2.5 or 5 × 10ⁿ, giving about ``intervals`` intervals."""
    if low == high:
        low, high = low - 1, high + 1
    rough = (high - low) / intervals
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(n * magnitude for n in NICE_STEPS if n * magnitude >= rough)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def value_ticks(low: float, high: float, step: float) -> list[float]:
    count = round((high - low) / step)
    return [low + step * index for index in range(count + 1)]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_ticks(first: datetime, last: datetime, *, most: int) -> list[tuple[datetime, str]]:
    """First days of months between ``first`` and ``last``, every 1, 2, 3, 6, 12… months.

    The step is the smallest that gives at most ``most`` ticks; a step of a
    year or more is labelled with the year alone, a shorter one "Mar 2026".
    """
    start, end = _month_index(first.date()), _month_index(last.date())
    span = end - start + 1
    step = next((s for s in MONTH_STEPS if span / s <= most), MONTH_STEPS[-1])
    ticks = []
    index = math.ceil(start / step) * step
    while index <= end:
        year, month = divmod(index, 12)
        moment = timezone.make_aware(datetime(year, month + 1, 1))
        if first <= moment <= last:
            label = str(year) if step >= 12 else f"{MONTH_NAMES[month]} {year}"
            ticks.append((moment, label))
        index += step
    return ticks
