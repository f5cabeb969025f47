"""Resumable (tus) uploads through gunicorn: the whole file in 64 MiB PATCHes, and a resume.

- Upload: create the upload, then PATCH it in pieces of 64 MiB (smaller at
  smoke size, so that there are several), against hashing and copying the
  same file (``transfers.hash_and_copy``).
- Resume: a second upload stops at 50 %; "the client comes back" is a HEAD
  (where did it stop?) and the PATCHes of the rest. What the resume costs is
  the HEAD, as a share of the whole upload's time, and the bytes sent after
  it must be exactly the rest.
- Memory: the gunicorn worker's peak RSS against its RSS before.

The client is Python's ``http.client`` streaming from the file in 1 MiB
blocks, so the client never holds a chunk in memory either.
"""

import base64
import http.client
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import reverse

from portal.bench import servers
from portal.bench.transfers import (
    CHUNK,
    TransferResult,
    draft_case,
    forget_uploads,
    hash_and_copy,
    make_source_file,
    token_for,
)

PATCH_BYTES = 64 * CHUNK


class _Slice:
    """``length`` bytes of an open file from where it stands, read in blocks."""

    def __init__(self, handle, length: int):
        self.handle, self.left = handle, length

    def read(self, size: int = CHUNK) -> bytes:
        data = self.handle.read(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(data)
        return data


class _TusSession:
    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=900, blocksize=CHUNK
        )
        self.headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}

    def request(self, method: str, path: str, body=None, **headers: str):
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        self.connection.request(method, path, body=body, headers={**self.headers, **named})
        response = self.connection.getresponse()
        response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}")
        return response

    def create(self, case_pk: int, size: int, name: str) -> str:
        metadata = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}"
            for key, value in (("filename", name), ("kind", "weights"))
        )
        response = self.request(
            "POST",
            reverse("api_uploads", args=[case_pk]),
            Upload_Length=str(size),
            Upload_Metadata=metadata,
        )
        return urlsplit(response.getheader("Location")).path

    def send(self, path: str, source: Path, start: int, end: int, piece: int) -> int:
        """PATCH bytes ``start``..``end`` in pieces; return the bytes sent."""
        sent = 0
        with source.open("rb") as handle:
            handle.seek(start)
            offset = start
            while offset < end:
                length = min(piece, end - offset)
                self.request(
                    "PATCH",
                    path,
                    body=_Slice(handle, length),
                    **{
                        "Content-Type": "application/offset+octet-stream",
                        "Content-Length": str(length),
                        "Upload-Offset": str(offset),
                    },
                )
                offset += length
                sent += length
        return sent

    def offset(self, path: str) -> int:
        return int(self.request("HEAD", path).getheader("Upload-Offset"))


def measure_tus_uploads(size: int, repeats: int, workdir: Path) -> list[TransferResult]:
    source = make_source_file(workdir / "tus-source.bin", size)
    piece = min(PATCH_BYTES, max(CHUNK, size // 8))
    case = draft_case()
    token = token_for("submitter")
    baselines, whole, resumes, resent = [], [], [], []
    with servers.gunicorn() as (url, master):
        worker = servers.worker_pids(master.pid)[0]
        rss_before, _ = servers.peak_rss_kib(worker)
        for n in range(repeats):
            os.sync()
            baselines.append(hash_and_copy(source, workdir / "copy.bin"))
            os.sync()
            session = _TusSession(url, token)
            started = time.perf_counter()
            path = session.create(case.pk, size, f"bench-upload-tus-{time.time_ns()}-{n}.bin")
            session.send(path, source, 0, size, piece)
            whole.append(time.perf_counter() - started)
            forget_uploads(case)

            # Interrupted at 50 %: a new connection asks where it stopped and sends the rest.
            half = (size // 2) // piece * piece or piece
            path = _TusSession(url, token).create(case.pk, size, f"bench-upload-tus-r{n}.bin")
            _TusSession(url, token).send(path, source, 0, half, piece)
            comeback = _TusSession(url, token)
            started = time.perf_counter()
            offset = comeback.offset(path)
            resumes.append(time.perf_counter() - started)
            resent.append(comeback.send(path, source, offset, size, piece) - (size - half))
            forget_uploads(case)
        _, peak = servers.peak_rss_kib(worker)
    source.unlink()
    baseline, upload, resume = min(baselines), min(whole), min(resumes)
    mib = size / CHUNK
    return [
        TransferResult(
            f"upload by tus, {piece // CHUNK} MiB PATCHes (gunicorn)",
            upload,
            mib / upload,
            upload / baseline,
            extra={"rss_growth_mib": (peak - rss_before) / 1024},
        ),
        TransferResult(
            "tus resume at 50 % (HEAD), share of the whole upload",
            resume,
            0.0,
            resume / upload,
            note=f"bytes sent beyond the rest: {max(resent)}",
            extra={"extra_bytes": max(resent)},
        ),
    ]
