"""Slow clients through nginx and gunicorn: can they take the site down?

Uploads paced at a fixed rate (the API's ``PUT``, or tus ``PATCH``es of a
bounded size), downloads read slowly, and meanwhile probes of ``/healthz``
and a signed-in page, whose latencies are the answer. nginx's temporary
temporary files for request bodies are sampled as it runs: their peak is the
disk nginx used to buffer uploads (zero when they stream through).

Used by ``make load-test`` and tests/deploy/test_slow_clients.py.
"""

import base64
import contextlib
import http.client
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import reverse

from portal.bench import servers

PIECE = 64 * 1024
# Between one probe's answer and its next request: enough samples for a p99.
PROBE_PAUSE = 0.02


@dataclass
class SlowClientResult:
    upload_statuses: list[int] = field(default_factory=list)
    download_statuses: list[int] = field(default_factory=list)
    download_bytes: list[int] = field(default_factory=list)
    probes: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    nginx_body_temp_peak: int = 0
    nginx_buffered_bodies: int = 0
    seconds: float = 0.0

    def latencies(self, label: str) -> list[float]:
        return sorted(seconds for _status, seconds in self.probes[label])

    def p99(self, label: str) -> float:
        values = self.latencies(label)
        return values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]

    def p50(self, label: str) -> float:
        values = self.latencies(label)
        return values[len(values) // 2]

    def statuses(self, label: str) -> set[int]:
        return {status for status, _seconds in self.probes[label]}


def _connection(base_url: str, timeout: float = 300) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)


def paced(total: int, rate: int, piece: int = PIECE):
    """``total`` bytes in pieces, no faster than ``rate`` bytes a second."""
    start, sent, block = time.monotonic(), 0, b"s" * piece
    while sent < total:
        size = min(piece, total - sent)
        yield block[:size]
        sent += size
        if (delay := start + sent / rate - time.monotonic()) > 0:
            time.sleep(delay)


def slow_put(base_url: str, path: str, token: str, total: int, rate: int) -> int:
    connection = _connection(base_url)
    try:
        connection.request(
            "PUT",
            path,
            body=paced(total, rate),
            headers={"Authorization": f"Bearer {token}", "Content-Length": str(total)},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def slow_tus(
    base_url: str, case_pk: int, name: str, token: str, total: int, rate: int, chunk: int
) -> int:
    """Create a tus upload and PATCH it in ``chunk``-sized requests at ``rate``."""
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    connection = _connection(base_url)
    try:
        metadata = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}"
            for key, value in (("filename", name), ("kind", "weights"))
        )
        connection.request(
            "POST",
            reverse("api_uploads", args=[case_pk]),
            headers={**headers, "Upload-Length": str(total), "Upload-Metadata": metadata},
        )
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            return response.status
        location = urlsplit(response.getheader("Location") or "").path
        offset = 0
        while offset < total:
            length = min(chunk, total - offset)
            connection.request(
                "PATCH",
                location,
                body=paced(length, rate),
                headers={
                    **headers,
                    "Content-Type": "application/offset+octet-stream",
                    "Content-Length": str(length),
                    "Upload-Offset": str(offset),
                },
            )
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                return response.status
            offset += length
        return response.status
    finally:
        connection.close()


def slow_download(base_url: str, path: str, token: str, rate: int, seconds: float):
    """Read a download at ``rate`` for at most ``seconds``, then hang up: (status, bytes)."""
    connection = _connection(base_url)
    received = 0
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        start = time.monotonic()
        while time.monotonic() - start < seconds and (data := response.read(PIECE)):
            received += len(data)
            if (delay := start + received / rate - time.monotonic()) > 0:
                time.sleep(delay)
        return response.status, received
    finally:
        connection.close()


def _get(base_url: str, path: str, headers: dict) -> tuple[int, float]:
    """One GET on a new connection: (status, seconds); status 0 when it failed."""
    connection = _connection(base_url, timeout=30)
    began = time.monotonic()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - began
    except OSError:
        return 0, time.monotonic() - began
    finally:
        connection.close()


def _probe(base_url: str, path: str, headers: dict, results: list, stop: threading.Event):
    while not stop.is_set():
        results.append(_get(base_url, path, headers))
        stop.wait(PROBE_PAUSE)


def buffered_body_bytes(nginx_workdir: Path) -> int:
    """The bytes of request bodies nginx holds in temporary files right now.

    nginx unlinks each temporary file as soon as it creates it, so the files are
    found through its workers' open descriptors, not in the directory.
    """
    temp = str(nginx_workdir / "client_body")
    total = 0
    with contextlib.suppress(FileNotFoundError, ValueError):
        for pid in servers.nginx_pids(nginx_workdir):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd).startswith(temp):
                        total += fd.stat().st_size
    return total


def buffered_body_warnings(nginx_workdir: Path) -> int:
    """How many request bodies nginx wrote to a temporary file (its error log says so)."""
    log = nginx_workdir / "error.log"
    text = log.read_text() if log.exists() else ""
    return text.count("a client request body is buffered to a temporary file")


def run(
    base_url: str,
    *,
    uploads: list,
    downloads: list,
    probes: dict[str, tuple[str, dict]],
    nginx_workdir: Path | None = None,
) -> SlowClientResult:
    """Run ``uploads`` and ``downloads`` (callables returning a status, or (status, bytes))
    together, probing each of ``probes`` ({label: (path, headers)}) until they end."""
    result = SlowClientResult(probes={label: [] for label in probes})
    stop = threading.Event()
    probe_threads = [
        threading.Thread(
            target=_probe, args=(base_url, path, headers, result.probes[label], stop), daemon=True
        )
        for label, (path, headers) in probes.items()
    ]

    def sample():
        while not stop.is_set():
            if nginx_workdir is not None:
                used = buffered_body_bytes(nginx_workdir)
                result.nginx_body_temp_peak = max(result.nginx_body_temp_peak, used)
            stop.wait(0.2)

    def upload(call):
        result.upload_statuses.append(call())

    def download(call):
        status, received = call()
        result.download_statuses.append(status)
        result.download_bytes.append(received)

    clients = [threading.Thread(target=upload, args=(call,), daemon=True) for call in uploads]
    clients += [threading.Thread(target=download, args=(call,), daemon=True) for call in downloads]
    sampler = threading.Thread(target=sample, daemon=True)
    # Warm up first: each worker's first page loads templates and code once.
    for path, headers in probes.values():
        for _n in range(8):
            _get(base_url, path, headers)
    began = time.monotonic()
    for thread in [sampler, *probe_threads, *clients]:
        thread.start()
    for thread in clients:
        thread.join(timeout=600)
    stop.set()
    for thread in [sampler, *probe_threads]:
        thread.join(timeout=60)
    result.seconds = time.monotonic() - began
    if nginx_workdir is not None:
        result.nginx_buffered_bodies = buffered_body_warnings(nginx_workdir)
    return result


def upload_path(case_pk: int, name: str) -> str:
    return reverse("api_artifact_put", args=[case_pk, name]) + "?kind=weights"
