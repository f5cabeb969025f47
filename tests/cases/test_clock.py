"""The review clock: a ledger of starts, pauses, resumptions and extensions.

Every date here is worked out by hand from a calendar. The clock starts on
Monday, January 5, 2026; ninety days later is Sunday, April 5, 2026
(26 days left in January, 28 in February, 31 in March, then 5).
"""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from portal.cases.models import CaseStatus, ClockEvent, ReviewClock
from portal.cases.services import lifecycle as case_services

Kind = ClockEvent.Kind
START = date(2026, 1, 5)
DUE_AFTER_90_DAYS = date(2026, 4, 5)


def on(day: date, hour: int = 12) -> datetime:
    """A moment on that day in the portal's time zone."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def event(kind, day: date, days: int = 0) -> ClockEvent:
    return ClockEvent(kind=kind, at=on(day), days=days)


def started(day: date = START, days: int = 90) -> ClockEvent:
    return event(Kind.STARTED, day, days)


# --- The arithmetic, from ledgers written by hand --------------------------------------------


def test_a_clock_that_never_started_has_no_due_date():
    clock = ReviewClock.from_events([], today=START)

    assert clock.due is None
    assert clock.days_left is None
    assert (clock.running, clock.paused) == (False, False)
    assert (clock.calendar_days, clock.government_days, clock.days_overdue) == (0, 0, 0)


def test_the_review_is_due_ninety_days_after_the_clock_started():
    clock = ReviewClock.from_events([started()], today=date(2026, 2, 4))

    assert clock.due == DUE_AFTER_90_DAYS
    assert clock.running
    assert clock.calendar_days == 30
    assert clock.government_days == 30
    assert clock.days_left == 60


def test_a_ten_day_pause_moves_the_due_date_ten_days_and_does_not_count_as_review_time():
    ledger = [
        started(),
        event(Kind.PAUSED, date(2026, 1, 15)),
        event(Kind.RESUMED, date(2026, 1, 25)),
    ]

    clock = ReviewClock.from_events(ledger, today=date(2026, 2, 4))

    assert clock.due == date(2026, 4, 15)
    assert clock.running and not clock.paused
    assert clock.paused_days == 10
    assert clock.calendar_days == 30
    assert clock.government_days == 20


def test_while_a_pause_is_open_the_due_date_moves_day_by_day():
    ledger = [started(), event(Kind.PAUSED, date(2026, 1, 15))]

    due_dates = [
        ReviewClock.from_events(ledger, today=date(2026, 1, day)).due for day in (15, 16, 20)
    ]
    on_the_20th = ReviewClock.from_events(ledger, today=date(2026, 1, 20))

    assert due_dates == [date(2026, 4, 5), date(2026, 4, 6), date(2026, 4, 10)]
    assert on_the_20th.paused and not on_the_20th.running
    assert on_the_20th.calendar_days == 15
    assert on_the_20th.government_days == 10


def test_an_extension_adds_its_days():
    ledger = [started(), event(Kind.EXTENDED, date(2026, 3, 1), days=14)]

    clock = ReviewClock.from_events(ledger, today=date(2026, 3, 2))

    assert clock.due == date(2026, 4, 19)
    assert clock.extension_days == 14


def test_several_pauses_and_extensions_add_up():
    ledger = [
        started(),
        event(Kind.PAUSED, date(2026, 1, 10)),
        event(Kind.RESUMED, date(2026, 1, 12)),  # 2 days
        event(Kind.EXTENDED, date(2026, 1, 20), days=10),
        event(Kind.PAUSED, date(2026, 2, 1)),
        event(Kind.RESUMED, date(2026, 2, 8)),  # 7 days
        event(Kind.EXTENDED, date(2026, 2, 9), days=5),
    ]

    clock = ReviewClock.from_events(ledger, today=date(2026, 2, 14))

    # April 5 + 2 + 7 paused + 10 + 5 extended = April 29.
    assert clock.due == date(2026, 4, 29)
    assert clock.paused_days == 9
    assert clock.government_days == 40 - 9


def test_a_pause_that_ends_the_day_it_began_costs_nothing():
    ledger = [
        started(),
        event(Kind.PAUSED, date(2026, 1, 15)),
        event(Kind.RESUMED, date(2026, 1, 15)),
    ]

    assert ReviewClock.from_events(ledger, today=date(2026, 2, 1)).due == DUE_AFTER_90_DAYS


def test_days_left_turn_into_days_overdue_after_the_due_date():
    before = ReviewClock.from_events([started()], today=date(2026, 4, 3))
    after = ReviewClock.from_events([started()], today=date(2026, 4, 7))

    assert (before.days_left, before.days_overdue) == (2, 0)
    assert (after.days_left, after.days_overdue) == (-2, 2)


def test_the_started_event_keeps_its_own_notice_period():
    clock = ReviewClock.from_events([started(days=60)], today=START)

    assert clock.due == date(2026, 3, 6)


def test_days_are_counted_in_the_portals_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on January 6 is still the evening of January 5 in Washington.
    late_evening = datetime.fromisoformat("2026-01-06T03:00:00+00:00")

    clock = ReviewClock.from_events([ClockEvent(kind=Kind.STARTED, at=late_evening, days=90)])

    assert clock.started_on == START
    assert clock.due == DUE_AFTER_90_DAYS


# --- The ledger the services write, with time stopped ------------------------------------------


@pytest.fixture
def submitted_on_january_5(frozen, make_ready_draft, submitter, coordinator):
    frozen.set(2026, 1, 5, hour=9)
    case = make_ready_draft(planned_release_date=date(2026, 5, 1))
    case_services.submit_case(actor=submitter, case_id=case.pk)
    case.refresh_from_db()
    return case


def test_submitting_starts_the_clock_and_stores_the_due_date(submitted_on_january_5):
    case = submitted_on_january_5

    assert case.submitted_at == on(START, hour=9)
    assert case.review_due == DUE_AFTER_90_DAYS
    assert case.clock_paused is False
    assert [(e.kind, e.days, e.at) for e in case.clock_events.all()] == [
        (Kind.STARTED, 90, on(START, hour=9))
    ]


def test_a_review_paused_for_information_and_resumed_is_due_later_by_the_pause(
    submitted_on_january_5, frozen, coordinator, submitter
):
    case = submitted_on_january_5
    frozen.set(2026, 1, 6)
    case_services.start_review(actor=coordinator, case_id=case.pk)

    frozen.set(2026, 1, 15)
    case_services.pause_for_information(actor=coordinator, case_id=case.pk, reason="Eval logs?")
    case.refresh_from_db()
    # The stored date leaves the open pause out; the live clock counts it.
    assert (case.status, case.clock_paused, case.review_due) == (
        CaseStatus.INFO_REQUESTED,
        True,
        DUE_AFTER_90_DAYS,
    )
    assert case.clock(today=date(2026, 1, 20)).due == date(2026, 4, 10)

    frozen.set(2026, 1, 25)
    case_services.resume_review(actor=submitter, case_id=case.pk, reason="Logs uploaded.")
    case.refresh_from_db()
    assert (case.status, case.clock_paused, case.review_due) == (
        CaseStatus.IN_REVIEW,
        False,
        date(2026, 4, 15),
    )
    clock = case.clock(today=date(2026, 2, 4))
    assert (clock.calendar_days, clock.government_days) == (30, 20)

    frozen.set(2026, 2, 1)
    case_services.extend_review(
        actor=coordinator, case_id=case.pk, days=14, reason="A second round of red-teaming."
    )
    case.refresh_from_db()
    assert case.review_due == date(2026, 4, 29)
    assert [(e.kind, timezone.localdate(e.at), e.days) for e in case.clock_events.all()] == [
        (Kind.STARTED, date(2026, 1, 5), 90),
        (Kind.PAUSED, date(2026, 1, 15), 0),
        (Kind.RESUMED, date(2026, 1, 25), 0),
        (Kind.EXTENDED, date(2026, 2, 1), 14),
    ]


def test_an_extension_during_a_pause_is_stored_without_the_open_pause(
    submitted_on_january_5, frozen, coordinator
):
    case = submitted_on_january_5
    case_services.start_review(actor=coordinator, case_id=case.pk)
    frozen.set(2026, 1, 15)
    case_services.pause_for_information(actor=coordinator, case_id=case.pk)

    frozen.set(2026, 1, 20)
    case_services.extend_review(actor=coordinator, case_id=case.pk, days=7, reason="Holidays.")

    case.refresh_from_db()
    assert case.clock_paused is True
    assert case.review_due == date(2026, 4, 12)
    assert case.clock(today=date(2026, 1, 20)).due == date(2026, 4, 17)


@pytest.mark.parametrize(("days", "reason"), [(0, "Zero days."), (91, "Too long."), (14, "   ")])
def test_an_extension_needs_one_to_ninety_days_and_a_reason(
    days, reason, submitted_on_january_5, coordinator
):
    case = submitted_on_january_5

    with pytest.raises(case_services.CaseActionRefused):
        case_services.extend_review(actor=coordinator, case_id=case.pk, days=days, reason=reason)

    case.refresh_from_db()
    assert case.review_due == DUE_AFTER_90_DAYS
    assert case.clock_events.count() == 1


def test_a_new_notice_period_applies_to_new_cases_only(
    settings, frozen, make_ready_draft, submitter, coordinator
):
    frozen.set(2026, 1, 5)
    settings.REVIEW_NOTICE_DAYS = 90
    first = make_ready_draft(model_name="Aurora", planned_release_date=date(2026, 5, 1))
    case_services.submit_case(actor=submitter, case_id=first.pk)

    settings.REVIEW_NOTICE_DAYS = 60
    # 70 days away: short notice under the old rule, full notice under the new one.
    second = make_ready_draft(model_name="Boreal", planned_release_date=START + timedelta(70))
    case_services.submit_case(actor=submitter, case_id=second.pk)
    # The first case's ledger is read again under the new setting.
    case_services.extend_review(actor=coordinator, case_id=first.pk, days=1, reason="One day.")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.review_due == DUE_AFTER_90_DAYS + timedelta(days=1)
    assert first.clock_events.get(kind=Kind.STARTED).days == 90
    assert second.review_due == date(2026, 3, 6)
    assert second.clock_events.get(kind=Kind.STARTED).days == 60
    assert second.short_notice is False


def _header_and_ledger(case, today: date):
    from portal.cases.models import Submission

    read = Submission.objects.with_pause_start().get(pk=case.pk)
    header, ledger = read.header_clock(today=today), read.clock(today=today)
    return (header.due, header.paused, header.days_left, header.days_overdue), (
        ledger.due,
        ledger.paused,
        ledger.days_left,
        ledger.days_overdue,
    )


def test_the_headers_clock_from_the_stored_date_matches_the_ledger(
    submitted_on_january_5, frozen, coordinator, submitter, make_ready_draft
):
    """Not started, running, paused (the due date moving day by day), resumed,
    paused again after an extension, and overdue: the header's clock, read with the
    case, says what the ledger says."""
    never = make_ready_draft()
    header, ledger = _header_and_ledger(never, START)
    assert header == ledger == (None, False, None, 0)

    case = submitted_on_january_5
    case_services.start_review(actor=coordinator, case_id=case.pk)
    frozen.set(2026, 1, 15)
    case_services.pause_for_information(actor=coordinator, case_id=case.pk, reason="Logs?")
    for today in (date(2026, 1, 15), date(2026, 1, 20)):
        header, ledger = _header_and_ledger(case, today)
        assert header == ledger and header[1] is True
    assert header[0] == date(2026, 4, 10)
    frozen.set(2026, 1, 25)
    case_services.resume_review(actor=submitter, case_id=case.pk, reason="Uploaded.")
    frozen.set(2026, 2, 1)
    case_services.extend_review(actor=coordinator, case_id=case.pk, days=14, reason="More.")
    frozen.set(2026, 2, 3)
    case_services.pause_for_information(actor=coordinator, case_id=case.pk, reason="More logs?")
    for today in (date(2026, 2, 3), date(2026, 2, 9), date(2026, 6, 1)):
        header, ledger = _header_and_ledger(case, today)
        assert header == ledger and header[1] is True
    frozen.set(2026, 2, 10)
    case_services.resume_review(actor=submitter, case_id=case.pk, reason="Uploaded again.")
    header, ledger = _header_and_ledger(case, date(2026, 6, 1))
    assert header == ledger and header[1] is False and header[3] > 0  # overdue by June
