"""Signed checkpoints: the audit chain's head, anchored outside the database.

The hash chain proves that the rows agree with one another, not that they are
the rows that were written: anyone who can write to the database can delete the
newest events, or edit one and recompute every later hash with
``AuditEvent.compute_hash``, and the chain still holds. So the portal signs the
chain's head — its sequence, its hash and the time — with an Ed25519 key kept
outside the database (``AUDIT_SIGNING_KEY_FILE``), appends each signed head to a
file outside the database (``AUDIT_CHECKPOINT_FILE``, one JSON object a line)
and, when ``AUDIT_CHECKPOINT_EMAIL`` is set, mails it away as well.

This is Certificate Transparency's signed tree head (RFC 6962 §3.5, RFC 9162
§4.10) over a hash chain instead of a Merkle tree: whoever holds a checkpoint
and the public key can later prove that the log once ended at that sequence
with that hash. ``verify`` compares the database with the checkpoints and
needs only the public key, so an auditor can run it on a copy of the database.

What it names:

- **truncation**: a checkpoint saw event #N, the log now ends before #N;
- **rewrite**: the event at a checkpointed sequence has another hash (an edit
  re-chained with ``compute_hash`` changes every later hash, the checkpointed
  one included);
- **bad signature**: a checkpoint the public key did not sign (forged, altered,
  or signed with another key); its sequence and hash are not trusted.
"""

import base64
import binascii
import fcntl
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from portal.audit.keyfile import key_id, load_private_key
from portal.audit.models import GENESIS_HASH, AuditEvent

logger = logging.getLogger(__name__)

# What is signed: a fixed label (so the signature means nothing anywhere else)
# and the three fields, one a line.
SIGNED_LABEL = "frontier-review-portal audit checkpoint v1"
LOOKUP_BATCH = 500


# --- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    hash: str
    time: str  # ISO 8601, UTC, microseconds
    key_id: str
    signature: str  # base64

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.sequence, self.hash, self.time)

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_line(cls, line: str) -> "Checkpoint":
        """Parse one line; ValueError when it is not a checkpoint."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        sequence, head, time = data.get("sequence"), data.get("hash"), data.get("time")
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise ValueError("sequence is not a whole number")
        if not isinstance(head, str) or len(head) != 64:
            raise ValueError("hash is not 64 hex digits")
        if not isinstance(time, str):
            raise ValueError("time is missing")
        return cls(
            sequence=sequence,
            hash=head,
            time=time,
            key_id=str(data.get("key_id", "")),
            signature=str(data.get("signature", "")),
        )

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            signature = base64.b64decode(self.signature, validate=True)
            key.verify(signature, self.signed_bytes())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True


def signed_bytes(sequence: int, head: str, time: str) -> bytes:
    return f"{SIGNED_LABEL}\nsequence={sequence}\nhash={head}\ntime={time}\n".encode("ascii")


def chain_head() -> tuple[int, str]:
    """The newest event's sequence and hash; (0, the genesis hash) on an empty log.

    Writers commit in sequence order under one lock, so what is visible is
    always a prefix of the chain.
    """
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    return last if last else (0, GENESIS_HASH)


def sign_head(key: Ed25519PrivateKey, *, now: datetime | None = None) -> Checkpoint:
    sequence, head = chain_head()
    time = (now or timezone.now()).astimezone(UTC).isoformat(timespec="microseconds")
    signature = key.sign(signed_bytes(sequence, head, time))
    return Checkpoint(
        sequence=sequence,
        hash=head,
        time=time,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def append(checkpoint: Checkpoint, path: Path) -> None:
    """Append one line, under an exclusive lock, and flush it to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="ascii") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            file.write(checkpoint.to_line())
            file.flush()
            os.fsync(file.fileno())
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def read_lines(path: Path) -> list[tuple[int, Checkpoint | None, str]]:
    """Every non-empty line: (line number, checkpoint or None, why it is not one)."""
    lines: list[tuple[int, Checkpoint | None, str]] = []
    with open(path, encoding="utf-8", errors="replace") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                lines.append((number, Checkpoint.from_line(line), ""))
            except ValueError as error:  # json.JSONDecodeError is a ValueError
                lines.append((number, None, str(error)))
    return lines


def last_checkpoint(path: Path) -> Checkpoint | None:
    if not path.exists():
        return None
    parsed = [checkpoint for _n, checkpoint, _why in read_lines(path) if checkpoint]
    return parsed[-1] if parsed else None


def make_checkpoint(*, force: bool = False) -> Checkpoint | None:
    """Sign the chain head, append it to the checkpoint log and mail it.

    Returns None, writing nothing, when the head has not moved since the last
    checkpoint (unless ``force``). Raises CheckpointKeyError without the key.
    """
    key = load_private_key(settings.AUDIT_SIGNING_KEY_FILE)
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    checkpoint = sign_head(key)
    previous = last_checkpoint(path)
    if (
        not force
        and previous is not None
        and (previous.sequence, previous.hash, previous.key_id)
        == (checkpoint.sequence, checkpoint.hash, checkpoint.key_id)
    ):
        return None
    append(checkpoint, path)
    logger.info("Audit checkpoint: #%s %s", checkpoint.sequence, checkpoint.hash)
    mail(checkpoint)
    return checkpoint


def mail(checkpoint: Checkpoint) -> None:
    """A copy that leaves the system; a failed send is logged, the file line stays."""
    recipients = list(settings.AUDIT_CHECKPOINT_EMAIL)
    if not recipients:
        return
    body = (
        "The Frontier Review Portal signed its audit log's head. Keep this message:\n"
        "`manage.py verify_audit --checkpoints FILE --public-key FILE` checks the log\n"
        "against a file of such lines.\n\n" + checkpoint.to_line()
    )
    try:
        send_mail(
            f"Audit checkpoint #{checkpoint.sequence}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except OSError:
        logger.exception("The audit checkpoint #%s could not be mailed", checkpoint.sequence)


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # "truncation", "rewrite", "bad signature", "unreadable"
    line: int
    message: str


def _hashes_at(sequences: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(sequences))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        found.update(AuditEvent.objects.filter(sequence__in=batch).values_list("sequence", "hash"))
    return found


def verify(
    lines: list[tuple[int, Checkpoint | None, str]], keys: list[Ed25519PublicKey]
) -> tuple[list[Checkpoint], list[Problem]]:
    """Check the database against checkpoint lines: (the trusted checkpoints, problems)."""
    by_id = {key_id(key): key for key in keys}
    trusted: list[tuple[int, Checkpoint]] = []
    problems: list[Problem] = []
    for number, checkpoint, why in lines:
        if checkpoint is None:
            problems.append(Problem("unreadable", number, f"line {number} is no checkpoint: {why}"))
            continue
        key = by_id.get(checkpoint.key_id)
        if key is None or not checkpoint.signed_by(key):
            problems.append(
                Problem(
                    "bad signature",
                    number,
                    f"the checkpoint on line {number} (#{checkpoint.sequence} at "
                    f"{checkpoint.time}) has a signature that fails with the public key"
                    + ("" if key else f" (it names key {checkpoint.key_id or 'none'})")
                    + ": forged or altered; it is not trusted",
                )
            )
            continue
        trusted.append((number, checkpoint))

    last_sequence, _head = chain_head()
    stored = _hashes_at(cp.sequence for _n, cp in trusted if 0 < cp.sequence <= last_sequence)
    for number, checkpoint in trusted:
        if checkpoint.sequence == 0:
            if checkpoint.hash != GENESIS_HASH:
                problems.append(
                    Problem("rewrite", number, f"the checkpoint on line {number} is not genesis")
                )
            continue
        if checkpoint.sequence > last_sequence:
            problems.append(
                Problem(
                    "truncation",
                    number,
                    f"events missing after a checkpoint: the checkpoint of {checkpoint.time} "
                    f"(line {number}) saw event #{checkpoint.sequence}, the log ends at "
                    f"#{last_sequence}",
                )
            )
        elif checkpoint.sequence not in stored:
            problems.append(
                Problem(
                    "rewrite",
                    number,
                    f"event #{checkpoint.sequence}, which the checkpoint of {checkpoint.time} "
                    f"(line {number}) saw, is missing",
                )
            )
        elif stored[checkpoint.sequence] != checkpoint.hash:
            problems.append(
                Problem(
                    "rewrite",
                    number,
                    f"the hash at event #{checkpoint.sequence} differs from the checkpoint of "
                    f"{checkpoint.time} (line {number}): the log was rewritten at or before "
                    f"#{checkpoint.sequence}",
                )
            )
    return [cp for _n, cp in trusted], problems
