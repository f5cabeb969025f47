"""The audit log's hash chain: built by record(), checked by verify_audit.

A platform admin must be able to prove that nobody edited, removed or slipped
in an event; these tests tamper with the table the way an intruder with
database access would, and expect verify_audit to name the broken event.
"""

import json
import threading
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from portal.audit import models as audit_models
from portal.audit.models import GENESIS_HASH, AuditEvent, AuditLogIsAppendOnly, verify_chain


def record_three():
    """Three events on an empty log: sequences 1, 2, 3."""
    assert not AuditEvent.objects.exists()
    return [
        AuditEvent.record("case.submitted", details={"case": "FMR-2026-0001"}),
        AuditEvent.record("case.review_started", details={"case": "FMR-2026-0001"}),
        AuditEvent.record("case.recommendation_issued", details={"case": "FMR-2026-0001"}),
    ]


def raw_sql_bypassing_trigger(sql, params=()):
    """Run SQL as an intruder with database access would.

    On PostgreSQL the append-only trigger is switched off for this statement
    (a superuser can do that); SQLite has no trigger.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def verify_audit():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


# --- building the chain ---------------------------------------------------


@pytest.mark.django_db
def test_record_links_each_event_to_the_one_before():
    first, second, third = record_three()

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    for event in AuditEvent.objects.all():
        assert event.hash == event.compute_hash()


@pytest.mark.django_db
def test_verify_audit_reports_the_count_on_an_intact_chain():
    record_three()

    assert "Audit chain intact: 3 events verified." in verify_audit()


@pytest.mark.django_db
def test_verify_audit_passes_on_an_empty_log():
    assert "0 events verified" in verify_audit()


@pytest.mark.django_db
def test_an_event_rolls_back_with_the_change_it_describes():
    AuditEvent.record("case.submitted")
    with pytest.raises(RuntimeError), transaction.atomic():
        AuditEvent.record("case.withdrawn")
        raise RuntimeError("the withdrawal failed")

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["case.submitted"]
    assert AuditEvent.record("case.review_started").sequence == 2
    assert verify_chain()[1] is None


# --- tampering is detected --------------------------------------------------


@pytest.mark.django_db
def test_an_edited_action_is_named_by_its_sequence():
    record_three()
    raw_sql_bypassing_trigger(
        "UPDATE audit_auditevent SET action = %s WHERE sequence = %s", ["case.withdrawn", 2]
    )

    with pytest.raises(CommandError, match=r"broken at event #2 .*content does not match"):
        verify_audit()


@pytest.mark.django_db
def test_edited_details_are_named_by_their_sequence():
    record_three()
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    raw_sql_bypassing_trigger(
        f"UPDATE audit_auditevent SET details = %s{cast} WHERE sequence = %s",  # noqa: S608
        [json.dumps({"case": "FMR-2026-0999"}), 3],
    )

    with pytest.raises(CommandError, match=r"broken at event #3 "):
        verify_audit()


@pytest.mark.django_db
def test_a_rehashed_row_still_breaks_the_link_to_the_next_one():
    """Editing a row and fixing its own hash is not enough to hide the edit."""
    first, second, _ = record_three()
    forged = AuditEvent.objects.get(sequence=2)
    forged.action = "case.withdrawn"
    forged_hash = forged.compute_hash()
    raw_sql_bypassing_trigger(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE sequence = %s",
        ["case.withdrawn", forged_hash, 2],
    )

    with pytest.raises(CommandError, match=r"#3 .*previous-hash does not match"):
        verify_audit()


@pytest.mark.django_db
def test_a_deleted_middle_event_is_detected():
    record_three()
    raw_sql_bypassing_trigger("DELETE FROM audit_auditevent WHERE sequence = %s", [2])

    with pytest.raises(CommandError, match=r"#3 .*expected sequence 2, found 3"):
        verify_audit()


# --- append-only in the ORM and in the database ---------------------------


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_remove_events():
    event = AuditEvent.record("case.submitted", details={"case": "FMR-2026-0001"})
    stored = AuditEvent.objects.get(pk=event.pk)
    stored.action = "case.withdrawn"

    with pytest.raises(AuditLogIsAppendOnly):
        stored.save()
    with pytest.raises(AuditLogIsAppendOnly):
        stored.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="case.withdrawn")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.create(action="forged", sequence=2, prev_hash="x", hash="y")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.bulk_create(
            [AuditEvent(action="forged", sequence=2, prev_hash=event.hash, hash="y")]
        )

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["case.submitted"]
    assert "1 event verified" in verify_audit()


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'case.withdrawn'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes(statement):
    AuditEvent.record("case.submitted")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["case.submitted"]


# --- what is stored is what was hashed --------------------------------------


@pytest.mark.django_db
def test_details_of_every_kind_keep_the_hash_valid_after_reload():
    details = {
        "submitted_at": datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=UTC),
        "release_date": date(2026, 6, 1),
        "score": Decimal("87.50"),
        "case_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "reviewer_note": "Zürich — 東京 🚀 «finding» \u2028 line",
        "scores": [0.1, 1.0, 1e20, -0.0, 1.5e300, 12345678901234567890],
        "nested": {"b": [1, {"a": None, "flag": True}]},
    }
    event = AuditEvent.record(
        "case.scores_recorded", details=details, ip="2001:DB8:0:0::1", actor_repr="Ünïcode"
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.hash == stored.compute_hash() == event.hash
    assert stored.details["reviewer_note"] == details["reviewer_note"]
    assert stored.details["submitted_at"] == "2026-03-01T14:30:05.123Z"
    assert stored.ip == "2001:db8::1"
    assert "1 event verified" in verify_audit()


@pytest.mark.django_db
def test_details_json_cannot_carry_is_refused_before_anything_is_written():
    with pytest.raises(ValueError):
        AuditEvent.record("case.scores_recorded", details={"score": float("nan")})

    assert not AuditEvent.objects.exists()


# --- concurrent writers -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain():
    writers, events_each = 8, 15
    start = threading.Barrier(writers)
    errors = []

    def write(number):
        try:
            start.wait()
            for index in range(events_each):
                with transaction.atomic():
                    AuditEvent.record("case.note_added", details={"writer": number, "n": index})
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * events_each + 1))
    checked, broken, why = verify_chain()
    assert (checked, broken, why) == (writers * events_each, None, "")


def _write_at_once(writers: int, action_of) -> list:
    """``writers`` threads record one event each, outside any transaction, at once."""
    start = threading.Barrier(writers)
    errors = []

    def write(number):
        try:
            start.wait()
            AuditEvent.record(action_of(number), details={"writer": number})
        except Exception as error:  # noqa: BLE001  (returned to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def slow_holds(monkeypatch):
    """Each hold of the chain's lock takes 50 ms longer; returns the batches appended."""
    batches = []
    original = audit_models.append_chain

    def slow(events):
        with transaction.atomic():
            audit_models.lock_chain()
            time.sleep(0.05)
            batches.append([event.action for event in events])
            if "case.bad" in batches[-1]:
                raise DatabaseError("a bad event")
            original(events)

    monkeypatch.setattr(audit_models, "append_chain", slow)
    return batches


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_outside_a_transaction_share_the_locks_holds(slow_holds):
    """Requests recording at once (a download's check: no transaction around it)
    are appended in batches, one hold of the lock each, and the chain holds."""
    writers = 16
    assert _write_at_once(writers, lambda n: "download.allowed") == []

    assert sum(len(batch) for batch in slow_holds) == writers
    assert len(slow_holds) < writers  # batched: fewer holds than events
    checked, broken, why = verify_chain()
    assert (checked, broken, why) == (writers, None, "")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_batch_fails_only_its_bad_event(slow_holds):
    writers = 12
    errors = _write_at_once(writers, lambda n: "case.bad" if n == 5 else "download.allowed")

    assert [str(error) for error in errors] == ["a bad event"]
    assert AuditEvent.objects.filter(action="download.allowed").count() == writers - 1
    assert verify_chain() == (writers - 1, None, "")
