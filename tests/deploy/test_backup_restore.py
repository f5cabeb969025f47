"""Backup and restore, as docs/operations.md says: pg_dump, a copy of the media and of the
audit checkpoint log; restored into a fresh database, ``backup_check`` verifies the copy.

PostgreSQL only (pg_dump, psql); CI runs it in its PostgreSQL pass.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from portal.bench import servers
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import add_artifact
from tests.deploy.conftest import require_program

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _pg(*command: str) -> None:
    db = settings.DATABASES["default"]
    connection = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    connection += ["-U", db["USER"] or "postgres"]
    subprocess.run([command[0], *connection, *command[1:]], check=True, capture_output=True)  # noqa: S603


def _backup_check(database: str, backup: Path) -> subprocess.CompletedProcess:
    env = servers.server_env()
    env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "backup_check", str(backup)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_backup_restored_into_a_fresh_database_verifies(draft, submitter, media, tmp_path):
    for program in ("pg_dump", "psql", "createdb", "dropdb"):
        require_program(program, "apt-get install postgresql-client")
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    add_artifact(draft, submitter, b"# Model card\n" * 1000)
    add_artifact(draft, submitter, b"weights" * 5000, name="w.bin", kind="weights")
    call_command("audit_checkpoint", force=True, verbosity=0)

    # Back up: the database, the media, the checkpoint log.
    backup = tmp_path / "backup"
    backup.mkdir()
    source = settings.DATABASES["default"]["NAME"]
    _pg("pg_dump", "--no-owner", "-f", str(backup / "portal.sql"), source)
    shutil.copytree(media, backup / "media")
    shutil.copy(settings.AUDIT_CHECKPOINT_FILE, backup / "audit-checkpoints.jsonl")

    # Restore into a database of its own, and check the copy.
    restored = f"{source}_restored"
    _pg("dropdb", "--if-exists", restored)
    _pg("createdb", restored)
    try:
        _pg("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", restored, "-f", str(backup / "portal.sql"))
        result = _backup_check(restored, backup)
        assert result.returncode == 0, result.stderr
        assert "Audit chain intact" in result.stdout
        assert "Stored files intact: 2 files" in result.stdout

        # A damaged copy of a file fails the check and names the row.
        damaged = next(p for p in (backup / "media" / "artifacts").rglob("*") if p.is_file())
        damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
        result = _backup_check(restored, backup)
        assert result.returncode == 1
        assert "do not match their rows" in result.stderr and "SHA-256" in result.stderr

        # Without the checkpoint log the copy cannot be trusted.
        (backup / "audit-checkpoints.jsonl").unlink()
        result = _backup_check(restored, backup)
        assert result.returncode == 1
        assert "No checkpoint log" in result.stderr
    finally:
        _pg("dropdb", "--if-exists", restored)
