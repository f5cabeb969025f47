"""The audit log: an append-only, hash-chained record of every change.

Each event stores the SHA-256 of the previous event's hash and its own
canonical content, so removing, reordering or editing any row breaks the chain
at that row, and ``manage.py verify_audit`` names it. Writers serialize on one
lock (a PostgreSQL advisory lock, SQLite's write lock), and ``prev_hash`` is
unique, so two requests can never fork the chain. Writers outside any
transaction append in batches, one hold of the lock per batch
(``_GroupAppend``); inside a transaction an event commits with it.
"""

import hashlib
import json
import threading
from datetime import UTC
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

GENESIS_HASH = "0" * 64
# An arbitrary constant: the key of the advisory lock that serializes writers.
AUDIT_CHAIN_LOCK_KEY = 0x46524D41  # "FRMA"


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Write audit events one at a time with AuditEvent.record().")

    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    def for_target(self, obj):
        return self.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the system and for failed sign-ins.",
    )
    actor_repr = models.CharField("actor", max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField("target", max_length=255, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "sequence"]),
            models.Index(fields=["actor", "sequence"]),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action} by {self.actor_repr or 'system'}"

    def save(self, *args, **kwargs):
        raise AuditLogIsAppendOnly(
            "Write audit events with AuditEvent.record(); they never change."
        )

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor=None,
        target=None,
        details: dict | None = None,
        ip: str | None = None,
        actor_repr: str | None = None,
    ) -> "AuditEvent":
        """Append one event to the chain and return it.

        Runs in its own (possibly nested) transaction: if the caller's
        transaction rolls back, the event goes with the change it describes.
        """
        if actor is not None and not actor.is_authenticated:
            actor = None
        details = _as_stored(details or {})
        ip_field = cast(models.GenericIPAddressField, cls._meta.get_field("ip"))
        ip = ip_field.get_prep_value(ip) if ip else None
        event = cls(
            actor=actor,
            actor_repr=actor_repr if actor_repr is not None else (actor.username if actor else ""),
            action=action,
            target_type=ContentType.objects.get_for_model(target) if target is not None else None,
            target_id=str(target.pk) if target is not None else "",
            target_repr=str(target)[:255] if target is not None else "",
            ip=ip,
            details=details,
        )
        if connection.in_atomic_block or connection.vendor != "postgresql":
            # Inside the caller's transaction: the event commits (or rolls back) with it.
            append_chain([event])
        else:
            _APPENDS.append(event)
        return event

    def canonical_content(self) -> str:
        """The event as one canonical JSON string; what the hash covers."""
        return json.dumps(
            {
                "sequence": self.sequence,
                "created_at": self.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
                "actor": self.actor_id,
                "actor_repr": self.actor_repr,
                "action": self.action,
                "target_type": self.target_type_id,
                "target_id": self.target_id,
                "target_repr": self.target_repr,
                "ip": self.ip,
                "details": self.details,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            cls=DjangoJSONEncoder,
        )

    def compute_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.prev_hash.encode("ascii"))
        digest.update(self.canonical_content().encode("utf-8"))
        return digest.hexdigest()


def _json_number(text: str) -> float | int:
    """A JSON number as every database gives it back.

    PostgreSQL's jsonb prints 1e+20 as 100000000000000000000 (an integer once
    read) and drops the sign of -0.0; store those values in that form already.
    """
    number = float(text)
    if number.is_integer() and abs(number) >= 1e16:
        return int(Decimal(text))
    return number + 0.0  # -0.0 becomes 0.0


def _as_stored(details: dict) -> dict:
    """Details exactly as they read back from the database, so the hash holds.

    Dates, decimals and UUIDs become strings; NaN and infinity are refused
    (JSON has no such numbers).
    """
    text = json.dumps(details, cls=DjangoJSONEncoder, allow_nan=False)
    return json.loads(text, parse_float=_json_number)


def append_chain(events: list["AuditEvent"]) -> None:
    """Append these events to the chain, in order, under the chain's lock: one
    read of the head, one INSERT, one commit (the bench times this hold:
    portal/bench/concurrent.py)."""
    with transaction.atomic():
        lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        sequence, prev_hash = (last["sequence"], last["hash"]) if last else (0, GENESIS_HASH)
        for event in events:
            sequence += 1
            event.sequence, event.created_at, event.prev_hash = sequence, timezone.now(), prev_hash
            event.hash = prev_hash = event.compute_hash()
        # One statement for the batch; AuditEventQuerySet refuses bulk_create to everyone else.
        models.QuerySet.bulk_create(AuditEvent.objects.all(), events)


class _GroupAppend:
    """Appends of one process outside any transaction, joined into batches.

    A writer outside a transaction queues its event and waits. The first
    waiter with no batch under way leads: it takes every event queued so far,
    appends them all in one hold of the lock (``append_chain``), and wakes the
    others; whoever is still queued then leads the next batch. So N requests at
    once take the lock a few times, not N times, and each returns only once its
    event is committed, as before. A batch that fails is retried one event at
    a time, so one bad event fails only its own writer.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[tuple[AuditEvent, dict]] = []
        self._leading = False

    def append(self, event: "AuditEvent") -> None:
        state: dict = {"done": False, "failed": False}
        with self._changed:
            self._queue.append((event, state))
            while not state["done"] and self._leading:
                self._changed.wait()
            leads = not state["done"]
            if leads:
                self._leading = True
                batch, self._queue = self._queue, []
        if leads:
            failed = True  # unless the batch is committed, whatever stops it
            try:
                append_chain([queued for queued, _ in batch])
                failed = False
            except Exception:  # noqa: BLE001, S110 - each event is retried alone below
                pass
            finally:
                with self._changed:
                    for _queued, waiting in batch:
                        waiting.update(done=True, failed=failed)
                    self._leading = False
                    self._changed.notify_all()
        if state["failed"]:
            append_chain([event])  # alone, outside the queue: raises its own error, if any


_APPENDS = _GroupAppend()


def lock_chain() -> None:
    """Serialize chain writers until the surrounding transaction ends (the bench
    times the wait: portal/bench/concurrent.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Raw SQL is safe: a fixed statement, the lock key a bound parameter.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_KEY])
    # SQLite: the settings open every transaction with BEGIN IMMEDIATE, which
    # takes the database's single write lock before this read.


def verify_chain(batch_size: int = 2000) -> tuple[int, AuditEvent | None, str]:
    """Walk the chain in order. Return (events checked, first broken event, why)."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size)
    for event in events:
        if event.sequence != expected_sequence:
            return checked, event, f"expected sequence {expected_sequence}, found {event.sequence}"
        if event.prev_hash != expected_prev:
            return checked, event, "its previous-hash does not match the event before it"
        if event.hash != event.compute_hash():
            return checked, event, "its content does not match its hash"
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    return checked, None, ""
