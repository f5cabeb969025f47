"""The bench's concurrent downloads: the target row wants the share and every request audited."""

from portal.bench import report
from portal.bench.concurrent import _percentile
from portal.bench.transfers import TransferResult


def results(share: float, records: int, audited: int) -> list[TransferResult]:
    extra = {
        "records": records,
        "audited": audited,
        "by_nginx": records - 1,
        "concurrent": 64,
        "lock_p50_ms": 1.5,
        "lock_p99_ms": 9.0,
        "hold_p50_ms": 2.0,
        "hold_p99_ms": 4.0,
        "check_p50_ms": 20.0,
        "check_p99_ms": 80.0,
        "load": (1.0, 2.0, 3.0),
    }
    return [
        TransferResult("nginx static (baseline)", 10.0, 800, 1.0),
        TransferResult("nginx X-Accel", 10.0 / share, 800 * share, share, extra=extra),
    ]


def test_the_target_needs_the_share_and_every_request_audited():
    assert report.concurrent_target(results(0.93, 70, 70)).endswith("| met |")
    assert report.concurrent_target(results(0.89, 70, 70)).endswith("| **missed** |")
    # A request without its audit event misses the target, whatever the speed.
    assert report.concurrent_target(results(0.99, 70, 69)).endswith("| **missed** |")
    assert "not measured" in report.concurrent_target([])


def test_the_section_reports_the_lock_wait_and_the_load():
    text = "\n".join(report.concurrent_section(results(0.95, 70, 70)))
    assert "wait on the audit chain's lock p50 1.5 ms, p99 9.0 ms" in text
    assert "load average 1.00, 2.00, 3.00" in text


def test_percentiles():
    values = [float(n) for n in range(1, 101)]
    assert _percentile(values, 50) == 50.5
    assert _percentile(values, 99) == 99.01
    assert _percentile([], 99) == 0.0
    assert _percentile([7.0], 99) == 7.0
