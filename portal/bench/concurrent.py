"""Many clients at once: 8 ``aria2c -x8`` downloads of one artifact through nginx X-Accel.

Against nginx serving the same file statically, in interleaved rounds (each
round's order alternates), the best of each. Every request the app answered
must have left its download record and its audit event: the bench counts
them. Then the app's check alone, 64 at once in process, timing how long each
audit event waits for the hold of the chain's lock that appends it
(``portal.audit.models.append_chain``, which batches), the holds, p50 and
p99, and how long the whole check takes.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from portal.audit import models as audit_models
from portal.audit.models import AuditEvent
from portal.bench import servers
from portal.bench.transfers import CHUNK, TransferResult, curl, download_setup
from portal.files import pace
from portal.files.models import Download

CLIENTS = 8
CONNECTIONS = 8


def _scratch(total: int) -> Path:
    """Where the clients write: memory when it has room for all of it, else the disk."""
    shm = Path("/dev/shm")  # noqa: S108 - the bench's own directory in it, removed after
    if shm.is_dir() and shutil.disk_usage(shm).free > 2 * total:
        return Path(tempfile.mkdtemp(prefix="portal-bench-", dir=shm))
    return Path(tempfile.mkdtemp(prefix="portal-bench-", dir=settings.VAR_DIR))


def aria2c_clients(url: str, size: int, *, headers: list[str]) -> tuple[float, bool]:
    """(seconds, every file complete) for CLIENTS ``aria2c -x8 -s8`` downloads at once."""
    program = shutil.which("aria2c")
    if program is None:
        raise RuntimeError("aria2c is not installed (apt-get install aria2)")
    scratch = _scratch(CLIENTS * size)
    try:
        command = [program, "-q", f"-x{CONNECTIONS}", f"-s{CONNECTIONS}", "-c"]
        command += ["--file-allocation=none", "--allow-overwrite=true", "--max-tries=1"]
        for header in headers:
            command += ["--header", header]
        started = time.perf_counter()
        clients = [
            subprocess.Popen(  # noqa: S603 - fixed program, loopback URL
                [*command, "-d", str(scratch / str(n)), "-o", "file", url],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(CLIENTS)
        ]
        codes = [client.wait(timeout=1800) for client in clients]
        seconds = time.perf_counter() - started
        complete = all(
            code == 0 and (scratch / str(n) / "file").stat().st_size == size
            for n, code in enumerate(codes)
        )
        return seconds, complete
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_concurrent_downloads(size: int, rounds: int, workdir: Path) -> list[TransferResult]:
    setup = download_setup(size, workdir)
    auth = setup.auth
    times: dict[str, list[float]] = {"static": [], "accel": []}
    complete: dict[str, bool] = {"static": True, "accel": True}
    before = Download.objects.count()
    with (
        servers.gunicorn(workers=5, env={"DOWNLOAD_BACKEND": "x-accel"}) as (app_url, _master),
        servers.nginx(
            app_url, workdir / "nginx-concurrent", extra=setup.static_location
        ) as nginx_url,
    ):
        urls = {"static": setup.static_url(nginx_url), "accel": nginx_url + setup.api_path}
        curl(urls["static"])  # the page cache
        # One download the app sends, which measures the client's speed (portal.files.pace).
        curl("-H", auth, urls["accel"])
        for n in range(rounds):
            order = ["static", "accel"] if n % 2 == 0 else ["accel", "static"]
            for key in order:
                headers = [auth] if key == "accel" else []
                seconds, ok = aria2c_clients(urls[key], size, headers=headers)
                times[key].append(seconds)
                complete[key] = complete[key] and ok
        log = (workdir / "nginx-concurrent" / "downloads.log").read_text()
    records = Download.objects.filter(pk__gt=before)
    made = records.count()
    audited = AuditEvent.objects.filter(
        action="download.allowed", details__download__in=list(records.values_list("pk", flat=True))
    ).count()
    by_nginx = records.filter(delivery=Download.Delivery.REQUESTED).count()
    total = CLIENTS * size / CHUNK
    static = min(times["static"])
    accel = min(times["accel"])
    waits = measure_lock_waits(setup.api_path, setup.token, pace_key=_pace_key(setup.grant))
    return [
        TransferResult(
            f"nginx static, {CLIENTS} × aria2c -x{CONNECTIONS} (baseline)",
            static,
            total / static,
            1.0,
            note=f"complete {complete['static']}",
        ),
        TransferResult(
            f"nginx X-Accel, {CLIENTS} × aria2c -x{CONNECTIONS}",
            accel,
            total / accel,
            static / accel,
            note=(
                f"complete {complete['accel']}; {made} requests, {audited} audited, "
                f"{by_nginx} sent by nginx, {made - by_nginx} by the app; "
                f"nginx logged {log.count(chr(10))} X-Accel responses"
            ),
            extra={"records": made, "audited": audited, "by_nginx": by_nginx, **waits},
        ),
    ]


def measure_lock_waits(api_path: str, token: str, *, pace_key: str, concurrent: int = 64) -> dict:
    """The app's check of ``concurrent`` range requests at once, in process.

    Milliseconds, p50 and p99: how long each request's audit event waited
    before the lock hold that appended it began (queued behind a batch, or
    waiting for the lock itself), how long each hold lasted (lock taken to
    commit, ``portal.audit.models.append_chain``), and the whole check; and
    how many holds there were for the ``concurrent`` events (appends batch).
    """
    waits: list[float] = []
    holds: list[float] = []
    checks: list[float] = []
    held_for: dict[int, float] = {}  # id(event) → the hold that appended it, in ms
    original = audit_models.lock_chain
    original_append = audit_models.append_chain
    original_record = audit_models.AuditEvent.record
    record_descriptor = audit_models.AuditEvent.__dict__["record"]
    acquired = threading.local()

    def timed_lock() -> None:
        original()
        acquired.at = time.perf_counter()

    def timed_append(events):
        original_append(events)
        hold = (time.perf_counter() - acquired.at) * 1000
        holds.append(hold)
        held_for.update((id(event), hold) for event in events)

    def timed_record(*args, **kwargs):
        started = time.perf_counter()
        event = original_record(*args, **kwargs)
        waits.append((time.perf_counter() - started) * 1000 - held_for.get(id(event), 0.0))
        return event

    barrier = threading.Barrier(concurrent)

    def one(n: int) -> None:
        client = Client()
        try:
            barrier.wait()
            started = time.perf_counter()
            client.get(
                api_path,
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_RANGE=f"bytes={n * 1024}-{(n + 1) * 1024 - 1}",  # inside any artifact
            )
            checks.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()

    # A speed known, so that every check answers with X-Accel and sends nothing here.
    with override_settings(DOWNLOAD_BACKEND="x-accel", ALLOWED_HOSTS=["testserver"]):
        cache_keys = [pace_key, pace_key + ":due"]
        cache.set(pace_key, 10**12, 60)
        cache.set(pace_key + ":due", 1, 60)
        audit_models.lock_chain = timed_lock
        audit_models.append_chain = timed_append
        audit_models.AuditEvent.record = timed_record  # type: ignore[method-assign]
        try:
            threads = [threading.Thread(target=one, args=(n,)) for n in range(concurrent)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            audit_models.lock_chain = original
            audit_models.append_chain = original_append
            audit_models.AuditEvent.record = record_descriptor  # type: ignore[method-assign]
            cache.delete_many(cache_keys)
    return {
        "concurrent": concurrent,
        "lock_p50_ms": _percentile(waits, 50),
        "lock_p99_ms": _percentile(waits, 99),
        "hold_p50_ms": _percentile(holds, 50),
        "hold_p99_ms": _percentile(holds, 99),
        "holds": len(holds),
        "check_p50_ms": _percentile(checks, 50),
        "check_p99_ms": _percentile(checks, 99),
        "load": os.getloadavg(),
    }


def _pace_key(grant) -> str:
    operator = get_user_model().objects.get(username="operator")
    return pace.pace_key(operator.pk, f"{grant._meta.label_lower}:{grant.pk}")


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
