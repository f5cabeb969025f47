"""Case numbers: FMR-YYYY-NNNN, given at submission, in order, starting again each year."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from portal.cases.models import CaseNumberCounter, Submission
from portal.cases.services import lifecycle as case_services


def test_numbers_count_up_within_a_year_and_start_again_the_next(db):
    numbers = [CaseNumberCounter.next_number(year) for year in (2026, 2026, 2027, 2026, 2027)]

    assert numbers == [
        "FMR-2026-0001",
        "FMR-2026-0002",
        "FMR-2027-0001",
        "FMR-2026-0003",
        "FMR-2027-0002",
    ]
    assert dict(CaseNumberCounter.objects.values_list("year", "last")) == {2026: 3, 2027: 2}


def test_past_ten_thousand_a_number_grows_a_digit_rather_than_repeat(db):
    CaseNumberCounter.objects.create(year=2026, last=9999)

    assert CaseNumberCounter.next_number(2026) == "FMR-2026-10000"


def test_a_draft_has_no_number_and_submission_gives_the_next_one(
    frozen, make_ready_draft, submitter, coordinator
):
    frozen.set(2026, 3, 2)
    first, second = make_ready_draft(), make_ready_draft(model_version="2.1")
    assert (first.number, first.reference) == (None, f"Draft {first.pk}")

    case_services.submit_case(actor=submitter, case_id=second.pk)
    case_services.submit_case(actor=submitter, case_id=first.pk)

    assert Submission.objects.get(pk=second.pk).number == "FMR-2026-0001"
    assert Submission.objects.get(pk=first.pk).number == "FMR-2026-0002"


def test_the_year_is_the_portals_local_year(
    settings, frozen, make_ready_draft, submitter, coordinator
):
    settings.TIME_ZONE = "America/New_York"
    frozen.set(2026, 12, 31, hour=23, minute=30)  # already 2027 in UTC
    new_years_eve = make_ready_draft()
    case_services.submit_case(actor=submitter, case_id=new_years_eve.pk)

    frozen.advance(hours=1)
    new_years_day = make_ready_draft(model_version="2.1")
    case_services.submit_case(actor=submitter, case_id=new_years_day.pk)

    new_years_eve.refresh_from_db()
    new_years_day.refresh_from_db()
    assert new_years_eve.number == "FMR-2026-0001"
    assert new_years_day.number == "FMR-2027-0001"


def test_a_submission_that_rolls_back_gives_its_number_back(
    make_ready_draft, submitter, coordinator
):
    abandoned, kept = make_ready_draft(), make_ready_draft(model_version="2.1")

    with pytest.raises(RuntimeError), transaction.atomic():
        case_services.submit_case(actor=submitter, case_id=abandoned.pk)
        raise RuntimeError("the request failed after the submission")
    case_services.submit_case(actor=submitter, case_id=kept.pk)

    abandoned.refresh_from_db()
    kept.refresh_from_db()
    assert abandoned.number is None
    assert kept.number.endswith("-0001")


def test_a_refused_submission_takes_no_number(make_ready_draft, submitter, coordinator):
    no_artifact = make_ready_draft(with_artifact=False)
    with pytest.raises(case_services.CaseActionRefused):
        case_services.submit_case(actor=submitter, case_id=no_artifact.pk)

    ready = make_ready_draft()
    case_services.submit_case(actor=submitter, case_id=ready.pk)

    ready.refresh_from_db()
    assert ready.number.endswith("-0001")


# --- At the same moment, on PostgreSQL ------------------------------------------------------

WORKERS = 8


def run_together(work, count=WORKERS):
    """Run ``work(i)`` in ``count`` threads released at once; return results and errors."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_get_distinct_numbers(make_ready_draft, submitter, coordinator):
    year = timezone.localdate().year
    drafts = [make_ready_draft(model_version=f"2.{i}") for i in range(WORKERS)]

    def submit(i):
        return case_services.submit_case(actor=submitter, case_id=drafts[i].pk).number

    numbers, errors = run_together(submit)

    assert errors == []
    assert sorted(numbers) == [f"FMR-{year}-{n:04d}" for n in range(1, WORKERS + 1)]
    assert sorted(Submission.objects.values_list("number", flat=True)) == sorted(numbers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_allocations_each_in_their_own_transaction_never_collide():
    rounds = 5

    def allocate(i):
        numbers = []
        for _ in range(rounds):
            with transaction.atomic():
                numbers.append(CaseNumberCounter.next_number(2031))
        return numbers

    results, errors = run_together(allocate)

    assert errors == []
    allocated = [number for numbers in results for number in numbers]
    assert sorted(allocated) == [f"FMR-2031-{n:04d}" for n in range(1, WORKERS * rounds + 1)]
