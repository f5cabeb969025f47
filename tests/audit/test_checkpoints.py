"""Signed checkpoints anchor the audit chain outside the database.

An intruder with database access can delete the newest events, or edit one and
re-chain every later hash with ``compute_hash``: the chain alone still holds.
These tests do exactly that and expect ``verify_audit`` to name it against the
checkpoints; and a forged checkpoint to be named too.
"""

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from portal.audit import checkpoints
from portal.audit.checkpoints import Checkpoint, make_checkpoint
from portal.audit.keyfile import create_private_key, load_private_key, public_key_pem
from portal.audit.models import AuditEvent
from portal.audit.tasks import audit_checkpoint
from tests.audit.test_audit_chain import raw_sql_bypassing_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_files(settings, tmp_path):
    """A key and a checkpoint log of this test's own (the log is outside the database)."""
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "signing-key.pem"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_EMAIL = []
    create_private_key(settings.AUDIT_SIGNING_KEY_FILE)
    return settings


def record(n, start=1):
    return [AuditEvent.record("case.note", details={"n": i}) for i in range(start, start + n)]


def verify_audit(*args):
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def lines(settings):
    return settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()


def rechain_from(sequence, **changes):
    """Edit the event at ``sequence`` and recompute its hash and every later one."""
    events = list(AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"))
    previous = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else None
    for event in events:
        if event.sequence == sequence:
            for name, value in changes.items():
                setattr(event, name, value)
        if previous is not None:
            event.prev_hash = previous
        event.hash = event.compute_hash()
        raw_sql_bypassing_trigger(
            "UPDATE audit_auditevent SET action = %s, details = %s, prev_hash = %s, hash = %s "
            "WHERE sequence = %s",
            [event.action, json.dumps(event.details), event.prev_hash, event.hash, event.sequence],
        )
        previous = event.hash


# --- making checkpoints ---------------------------------------------------------------------


def test_a_checkpoint_signs_the_chain_head(settings):
    *_, last = record(3)

    checkpoint = make_checkpoint()

    assert (checkpoint.sequence, checkpoint.hash) == (3, last.hash)
    assert [Checkpoint.from_line(line) for line in lines(settings)] == [checkpoint]
    public = load_private_key(settings.AUDIT_SIGNING_KEY_FILE).public_key()
    assert checkpoint.signed_by(public)


def test_an_unmoved_head_is_not_signed_again_unless_forced(settings):
    record(2)
    assert make_checkpoint() is not None
    assert make_checkpoint() is None
    assert audit_checkpoint() is None  # the beat task
    record(1, start=3)
    assert audit_checkpoint() == 3
    assert make_checkpoint(force=True).sequence == 3
    assert len(lines(settings)) == 3


def test_the_command_appends_a_checkpoint(settings):
    record(2)
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "Checkpoint #2" in out.getvalue()
    assert len(lines(settings)) == 1


def test_without_a_key_the_command_refuses_and_writes_nothing(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "nowhere.pem"
    with pytest.raises(CommandError, match="cannot read the signing key"):
        call_command("audit_checkpoint")
    assert audit_checkpoint() is None
    assert not settings.AUDIT_CHECKPOINT_FILE.exists()


def test_a_checkpoint_is_mailed_when_an_address_is_set(settings):
    settings.AUDIT_CHECKPOINT_EMAIL = ["records@agency.example"]
    record(1)

    checkpoint = make_checkpoint()

    [message] = mail.outbox
    assert message.to == ["records@agency.example"]
    assert checkpoint.to_line().strip() in message.body


def test_audit_key_creates_a_key_once_and_prints_its_public_half(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "new" / "key.pem"
    out = StringIO()
    call_command("audit_key", "--create", stdout=out, stderr=StringIO())
    key = load_private_key(settings.AUDIT_SIGNING_KEY_FILE)
    assert out.getvalue() == public_key_pem(key.public_key())
    assert settings.AUDIT_SIGNING_KEY_FILE.stat().st_mode & 0o077 == 0

    call_command("audit_key", "--create", stdout=StringIO(), stderr=StringIO())
    assert load_private_key(settings.AUDIT_SIGNING_KEY_FILE).private_bytes_raw() == (
        key.private_bytes_raw()
    )


# --- verifying against them -----------------------------------------------------------------


def test_a_clean_chain_agrees_with_its_checkpoints(settings):
    record(2)
    make_checkpoint()
    record(2, start=3)
    make_checkpoint()
    record(1, start=5)  # events after the last checkpoint are fine

    output = verify_audit()

    assert "Audit chain intact: 5 events verified." in output
    assert "agrees with 2 signed checkpoints, the latest at #4" in output


def test_without_checkpoints_the_chain_is_checked_against_itself(settings):
    record(1)
    assert "No checkpoints at" in verify_audit()


def test_truncation_after_a_checkpoint_is_named(settings):
    record(5)
    make_checkpoint()
    raw_sql_bypassing_trigger("DELETE FROM audit_auditevent WHERE sequence > %s", [3])
    assert "Audit chain intact" in verify_audit("--checkpoints", "/dev/null")

    with pytest.raises(CommandError) as caught:
        verify_audit()

    message = str(caught.value)
    assert "truncation: events missing after a checkpoint" in message
    assert "saw event #5, the log ends at #3" in message


def test_a_rewrite_re_chained_with_compute_hash_is_named(settings):
    record(4)
    make_checkpoint()
    rechain_from(2, action="case.withdrawn")
    # The chain alone is fooled …
    assert "Audit chain intact" in verify_audit("--checkpoints", "/dev/null")

    # … the checkpoint is not.
    with pytest.raises(CommandError, match=r"rewrite: the hash at event #4 differs"):
        verify_audit()


def test_truncating_and_writing_new_events_is_a_rewrite(settings):
    record(3)
    make_checkpoint()
    raw_sql_bypassing_trigger("DELETE FROM audit_auditevent WHERE sequence = %s", [3])
    AuditEvent.record("case.note", details={"n": "a different third event"})

    with pytest.raises(CommandError, match=r"rewrite: the hash at event #3 differs"):
        verify_audit()


@pytest.mark.parametrize("forgery", ["other key", "altered", "garbage signature"])
def test_a_forged_checkpoint_is_named_and_not_trusted(settings, tmp_path, forgery):
    record(3)
    make_checkpoint()
    # The intruder rewrites the log and adds a checkpoint that covers the rewrite.
    rechain_from(2, action="case.withdrawn")
    if forgery == "other key":
        forged = checkpoints.sign_head(create_private_key(tmp_path / "intruder.pem"))
    else:
        honest = checkpoints.sign_head(load_private_key(settings.AUDIT_SIGNING_KEY_FILE))
        if forgery == "altered":  # a real signature over other content
            forged = replace(honest, time="2020-01-01T00:00:00.000000+00:00")
        else:
            forged = replace(honest, signature="AAAA")
    checkpoints.append(forged, settings.AUDIT_CHECKPOINT_FILE)

    with pytest.raises(CommandError) as caught:
        verify_audit()

    message = str(caught.value)
    assert "bad signature: the checkpoint on line 2 (#3" in message
    assert "forged or altered" in message
    # The honest first checkpoint still exposes the rewrite.
    assert "rewrite: the hash at event #3 differs" in message


def test_an_unreadable_checkpoint_line_is_named(settings):
    record(1)
    make_checkpoint()
    with settings.AUDIT_CHECKPOINT_FILE.open("a") as file:
        file.write("{not json\n")

    with pytest.raises(CommandError, match=r"unreadable: line 2 is no checkpoint"):
        verify_audit()


def test_an_auditor_verifies_a_copy_with_only_the_public_key(settings, tmp_path):
    """No private key anywhere: the checkpoint log and the public key are enough."""
    record(3)
    make_checkpoint()
    public_file = tmp_path / "auditor" / "public.pem"
    public_file.parent.mkdir()
    public_file.write_text(
        public_key_pem(load_private_key(settings.AUDIT_SIGNING_KEY_FILE).public_key())
    )
    copy = tmp_path / "auditor" / "checkpoints.jsonl"
    copy.write_text(settings.AUDIT_CHECKPOINT_FILE.read_text())
    settings.AUDIT_SIGNING_KEY_FILE.unlink()
    settings.AUDIT_CHECKPOINT_FILE.unlink()

    output = verify_audit("--checkpoints", str(copy), "--public-key", str(public_file))
    assert "agrees with 1 signed checkpoint, the latest at #3" in output

    raw_sql_bypassing_trigger("DELETE FROM audit_auditevent WHERE sequence = %s", [3])
    with pytest.raises(CommandError, match="truncation"):
        verify_audit("--checkpoints", str(copy), "--public-key", str(public_file))


def test_verifying_checkpoints_needs_a_public_key(settings, tmp_path):
    record(1)
    make_checkpoint()
    settings.AUDIT_SIGNING_KEY_FILE.unlink()
    with pytest.raises(CommandError, match="Name the public key with --public-key"):
        verify_audit()


def test_beat_runs_the_checkpoint_task(settings):
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]
    assert entry["schedule"] == settings.AUDIT_CHECKPOINT_SECONDS
    assert app.tasks[entry["task"]].name == audit_checkpoint.name
