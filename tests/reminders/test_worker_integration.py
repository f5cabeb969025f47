"""A real Celery worker, consuming from Redis, sends the email a person's action
queued on commit.

The worker is a separate process, so it must read the test's own database:
this runs on PostgreSQL (with ``transaction=True``, so the rows are really
committed) and Redis only. Sharing an in-memory SQLite test database with
another process is not possible, and the filesystem-broker round trip is
already proven by ``tests/portal/test_celery.py``.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from portal.cases.services import lifecycle as case_services
from portal.celery import app
from portal.notifications.models import Notification

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def worker_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def start_worker(tmp_path: Path, mail_dir: Path, **extra_env) -> tuple[subprocess.Popen, Path]:
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(settings.BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
        "VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "worker-integration-test-secret",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DATABASE_URL": worker_database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "PORTAL_TEST_MAIL_DIR": str(mail_dir),
        **extra_env,
    }
    celery = Path(sys.executable).with_name("celery")
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603  (our own celery, fixed arguments)
            [
                str(celery),
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-l",
                "INFO",
                "-n",
                f"reminders-test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return worker, log_path


def stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


@pytest.fixture
def through_the_broker(monkeypatch):
    """This process publishes to Redis instead of running tasks itself."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    assert app.conf.broker_url == os.environ["REDIS_URL"]


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_email_queued_when_a_case_is_submitted(
    through_the_broker, tmp_path, make_ready_draft, submitter, coordinator
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    draft = make_ready_draft()
    worker, log_path = start_worker(tmp_path, mail_dir)
    try:
        case = case_services.submit_case(actor=submitter, case_id=draft.pk)
        notification = Notification.objects.get(recipient=coordinator, case=case)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            notification.refresh_from_db()
            if notification.emailed_at is not None:
                break
            time.sleep(0.25)
    finally:
        stop_worker(worker)
    log = log_path.read_text()
    assert notification.emailed_at is not None, f"no email within 60 s\n--- worker ---\n{log}"
    assert "Task portal.send_notification_emails[" in log
    assert " succeeded " in log
    [mail_file] = list(mail_dir.iterdir())
    message = mail_file.read_text()
    assert "To: coordinator@example.test" in message
    assert f"Subject: [Frontier Review Portal] New case {case.number}" in message


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_smtp_accept_loses_no_mail(
    through_the_broker, tmp_path, coordinator
):
    """The mail server accepts the mail, then the worker is killed (SIGKILL) before it
    marks the mail sent. Once the dead worker's claim runs out, the outbox flush — on a
    new worker — sends it again, with the same Message-ID."""
    from portal.notifications.delivery import flush_email_outbox
    from portal.notifications.services import notify
    from tests.reminders.smtp_sink import smtp_sink

    with smtp_sink() as sink:
        sink.hold_after_accept = threading.Event()
        smtp = {"PORTAL_TEST_SMTP_PORT": str(sink.port), "PORTAL_TEST_CLAIM_SECONDS": "3"}
        worker, first_log = start_worker(tmp_path, tmp_path, **smtp)
        try:
            [notification] = notify([coordinator], title="Deadline in 7 days")  # queued on commit
            deadline = time.monotonic() + 60
            while not sink.accepted and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.1)
            assert sink.accepted, first_log.read_text()
            worker.kill()  # SIGKILL: between the SMTP accept and the mark
            worker.wait(timeout=10)
        finally:
            sink.hold_after_accept.set()
            stop_worker(worker)
        notification.refresh_from_db()
        assert notification.emailed_at is None and notification.email_attempts == 1

        sink.hold_after_accept = None
        time.sleep(3)  # the dead worker's claim runs out
        worker, second_log = start_worker(tmp_path, tmp_path, **smtp)
        try:
            flush_email_outbox.delay()  # what beat sends every minute
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and worker.poll() is None:
                notification.refresh_from_db()
                if notification.emailed_at is not None:
                    break
                time.sleep(0.25)
        finally:
            stop_worker(worker)
        assert notification.emailed_at is not None, second_log.read_text()

    first, second = sink.accepted
    # Two worker processes, one Message-ID (signed with their SECRET_KEY, not this process's).
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"].startswith(f"<notification-{notification.pk}.")
    assert notification.email_attempts == 2
