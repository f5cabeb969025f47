"""Celery: safe task defaults, and a real worker answering over the configured broker.

Without REDIS_URL the broker is kombu's filesystem transport, so the portal
needs no server; with REDIS_URL it is Redis. The round trip starts a real
worker and a real sender, each in its own process: the test process itself
runs tasks eagerly (tests/settings.py), which would prove nothing.
"""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from portal.celery import app
from portal.notifications.tasks import ping


def test_tasks_are_acknowledged_late_and_time_limited():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_ignore_result is True
    assert conf.timezone == "UTC"


def test_broker_follows_redis_url():
    conf = app.conf
    if os.environ.get("REDIS_URL"):
        assert conf.broker_url == conf.result_backend == os.environ["REDIS_URL"]
        # A task is never handed to a second worker while the first may still run it.
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    else:
        queue_dir = Path(settings.VAR_DIR) / "celery"
        assert conf.broker_url == "filesystem://"
        options = conf.broker_transport_options
        assert options["data_folder_in"] == options["data_folder_out"] == str(queue_dir / "queue")
        assert options["processed_folder"] == str(queue_dir / "processed")
        # Broadcasts too, or kombu writes them to ./control wherever the worker starts.
        assert options["control_folder"] == str(queue_dir / "control")
        assert conf.result_backend == f"file://{queue_dir / 'results'}"


def test_ping_answers_pong():
    assert ping.name == "portal.ping"
    assert ping.ignore_result is False  # its whole point is the answer
    assert ping.apply().get() == "pong"


SEND_PING = """
import django
django.setup()
from portal.celery import app
from portal.notifications.tasks import ping
assert not app.conf.task_always_eager, "the sender must go through the broker"
result = ping.apply_async()
print(app.conf.broker_url, result.id, result.get(timeout=60), flush=True)
"""


def celery_env(var_dir: Path, redis_url: str | None, settings_module: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(settings.BASE_DIR),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "celery-round-trip-test-secret",
        "AUDIT_SIGNING_KEY_FILE": str(settings.AUDIT_SIGNING_KEY_FILE),
        "MANIFEST_SIGNING_KEY_FILE": str(settings.MANIFEST_SIGNING_KEY_FILE),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@pytest.mark.parametrize(
    "transport",
    ["filesystem", pytest.param("redis", marks=pytest.mark.redis)],
)
def test_a_real_worker_answers_ping(tmp_path, transport):
    redis_url = os.environ.get("REDIS_URL") if transport == "redis" else None
    var_dir = tmp_path / "var"
    worker_log = tmp_path / "worker.log"
    celery = Path(sys.executable).with_name("celery")
    with worker_log.open("w") as log:
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
                f"ping-test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            # Started outside the project, so a stray relative path would show up here.
            cwd=tmp_path,
            env=celery_env(var_dir, redis_url, "tests.settings"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # The sender uses the production settings module: tests.settings forces eager tasks.
        sender = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SEND_PING],
            cwd=settings.BASE_DIR,
            env=celery_env(var_dir, redis_url, "portal.settings"),
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    log_text = worker_log.read_text()
    assert sender.returncode == 0, f"{sender.stderr}\n--- worker ---\n{log_text}"
    broker_url, task_id, answer = sender.stdout.split()
    assert answer == "pong"
    assert broker_url == (redis_url or "filesystem://")
    # The worker (not the sender, eagerly) ran it.
    assert f"Task portal.ping[{task_id}] succeeded" in log_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var", "worker.log"]
    if not redis_url:
        # The messages and the result went through files under VAR_DIR.
        assert {"queue", "results", "control"} <= {p.name for p in (var_dir / "celery").iterdir()}
