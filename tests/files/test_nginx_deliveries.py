"""X-Accel downloads say "requested" until nginx's download log says what it sent.

``manage.py ingest_nginx_downloads LOG`` reads the ``portal_download`` log
(``deploy/nginx.conf``: ``$request_id $status $body_bytes_sent
"$request_completion"``) and completes the records with those request ids.
"""

import pytest
from django.core.management import CommandError, call_command

from portal.files.downloads import record_nginx_deliveries
from portal.files.models import Download

pytestmark = pytest.mark.django_db
Delivery = Download.Delivery


def requested(request_id: str, size: int = 1000) -> Download:
    return Download.objects.create(
        outcome=Download.Outcome.ALLOWED,
        path="/api/v1/grants/1/artifacts/2/weights.bin",
        request_id=request_id,
        bytes_requested=size,
        bytes_sent=None,
        whole_file=True,
        delivery=Delivery.REQUESTED,
    )


def test_the_log_completes_the_records_it_names(tmp_path):
    whole, cut, elsewhere = requested("a" * 32), requested("b" * 32), requested("c" * 32)
    log = tmp_path / "downloads.log"
    log.write_text(
        f'{"a" * 32} 200 1000 "OK"\n'
        f'{"b" * 32} 200 420 ""\n'
        f'{"d" * 32} 206 10 "OK"\n'  # no record of ours
        "garbage line\n"
        f'{"e" * 32} 200 many "OK"\n'
    )
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        call_command("ingest_nginx_downloads", str(log), stdout=stdout)
    assert out.read_text() == "downloads completed: 2\n"

    for record in (whole, cut, elsewhere):
        record.refresh_from_db()
    assert (whole.delivery, whole.bytes_sent) == (Delivery.COMPLETE, 1000)
    assert (cut.delivery, cut.bytes_sent) == (Delivery.INTERRUPTED, 420)
    assert (elsewhere.delivery, elsewhere.bytes_sent) == (Delivery.REQUESTED, None)
    # Read again, the log changes nothing.
    assert record_nginx_deliveries(log.read_text().splitlines()) == 0


def test_ok_but_short_is_not_complete():
    short = requested("f" * 32, size=5000)
    assert record_nginx_deliveries([f'{"f" * 32} 200 4000 "OK"']) == 1
    short.refresh_from_db()
    assert (short.delivery, short.bytes_sent) == (Delivery.INTERRUPTED, 4000)


def test_an_app_sent_record_is_never_overwritten_by_a_log():
    counted = requested("g" * 32)
    Download.objects.filter(pk=counted.pk).update(delivery=Delivery.STOPPED, bytes_sent=300)
    assert record_nginx_deliveries([f'{"g" * 32} 200 1000 "OK"']) == 0
    counted.refresh_from_db()
    assert (counted.delivery, counted.bytes_sent) == (Delivery.STOPPED, 300)


def test_a_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("ingest_nginx_downloads", str(tmp_path / "nope.log"))


def test_a_499_line_ends_a_requested_record_interrupted_with_nothing_sent():
    """nginx logs a request the client gave up during the app's check as 499, 0 bytes."""
    given_up = requested("h" * 32)
    assert record_nginx_deliveries([f'{"h" * 32} 499 0 ""']) == 1
    given_up.refresh_from_db()
    assert (given_up.delivery, given_up.bytes_sent) == (Delivery.INTERRUPTED, 0)
