"""The bench's revocation re-check: the cost of one check, and its target row."""

import pytest
from django.core.management import call_command

from access.selectors import grant_is_open
from portal.bench import report, transfers
from portal.bench.pages import demo_operator_grant
from portal.bench.transfers import TransferResult

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "bench-tests-only-password")


def test_one_recheck_is_one_cheap_query(django_assert_num_queries):
    call_command("seed_demo", verbosity=0)
    grant = demo_operator_grant()
    with django_assert_num_queries(1):
        assert grant_is_open(grant.pk)
    assert transfers.measure_recheck_cost(repeats=5) > 0


def test_the_target_row_takes_the_worse_interval():
    results = [
        TransferResult("app, no re-check (baseline)", 1.0, 1024, 1.0, extra={"check_ms": 0.4}),
        TransferResult("app, re-check every 10 s (default)", 1.01, 1014, 1.01),
        TransferResult("app, re-check every 1 s", 1.08, 948, 1.08),
    ]
    row = report.recheck_target(results)
    assert "1.08× (app, re-check every 1 s); one check 0.40 ms" in row
    assert row.endswith("| **missed** |")
    results[2].ratio = 1.03
    assert report.recheck_target(results).endswith("| met |")
    assert "not measured" in report.recheck_target([])
