"""Resumable (tus) uploads through gunicorn: the whole file in 64 MiB PATCHes, and a resume.

- Upload: create the upload, then PATCH it in pieces of 64 MiB (smaller at
  smoke size, so that there are several), against hashing and copying the
  same file (``transfers.hash_and_copy``).
- Resume: a second upload is cut off at 50 %, in the middle of a PATCH (the
  client closes the connection); the server keeps what arrived. The client
  comes back on a new connection: a HEAD (where did it stop?) and the
  PATCHes of the rest. The bytes it sends beyond the file's size (what the
  cut lost) must be at most one PATCH; the resume's cost is the HEAD plus
  the time those extra bytes take at the upload's speed, as a share of the
  whole upload's time (target < 2 %). The whole interrupted upload's time,
  against the uninterrupted one, is reported too (noisy on a busy machine).
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
RETRY_DELAY = 0.5


class _Slice:
    """``length`` bytes of an open file from where it stands, read in blocks.

    Iterated (as ``http.client`` sends a body), it reads each block into one
    reusable buffer, as curl does, so the client allocates nothing per MiB.
    """

    def __init__(self, handle, length: int):
        self.handle, self.left = handle, length

    def read(self, size: int = CHUNK) -> bytes:
        data = self.handle.read(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(data)
        return data

    def __iter__(self):
        buffer = memoryview(bytearray(CHUNK))
        while self.left > 0:
            count = self.handle.readinto(buffer[: min(CHUNK, self.left)])
            if not count:
                return
            self.left -= count
            yield buffer[:count]


class _Refused(RuntimeError):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class _TusSession:
    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=900, blocksize=CHUNK
        )
        self.headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
        self.sent = 0

    def request(self, method: str, path: str, body=None, **headers: str):
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        self.connection.request(method, path, body=body, headers={**self.headers, **named})
        response = self.connection.getresponse()
        response.read()
        if response.status >= 400:
            raise _Refused(f"{method} {path}: HTTP {response.status}", response.status)
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
        """PATCH bytes ``start``..``end`` in pieces; return the bytes sent.

        ``self.sent`` counts every body sent, a refused PATCH's included.
        """
        sent = 0
        with source.open("rb") as handle:
            handle.seek(start)
            offset = start
            while offset < end:
                length = min(piece, end - offset)
                self.sent += length
                self.request(
                    "PATCH",
                    path,
                    body=iter(_Slice(handle, length)),
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

    def send_cut_off(self, path: str, source: Path, end: int, cut: int, piece: int) -> int:
        """PATCH from 0 towards ``end``, but close the connection at byte ``cut``, mid-PATCH.

        Returns the bytes sent, the cut-off PATCH's included.
        """
        sent = self.send(path, source, 0, cut // piece * piece, piece)
        offset = sent
        with source.open("rb") as handle:
            handle.seek(offset)
            self.connection.putrequest("PATCH", path)
            headers = {
                **self.headers,
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(min(piece, end - offset)),
                "Upload-Offset": str(offset),
            }
            for name, value in headers.items():
                self.connection.putheader(name, value)
            self.connection.endheaders()
            part = _Slice(handle, cut - offset)
            while data := part.read():
                self.connection.send(data)
                sent += len(data)
        self.connection.close()  # the connection drops
        return sent


def measure_tus_uploads(size: int, repeats: int, workdir: Path) -> list[TransferResult]:
    source = make_source_file(workdir / "tus-source.bin", size)
    piece = min(PATCH_BYTES, max(CHUNK, size // 8))
    case = draft_case()
    token = token_for("submitter")
    baselines, whole, resumes, resent, interrupted = [], [], [], [], []
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

            # Cut off at 50 %, mid-PATCH: a new connection asks where it stopped, sends the rest.
            os.sync()
            half = size // 2 + piece // 2
            session = _TusSession(url, token)
            started = time.perf_counter()
            path = session.create(case.pk, size, f"bench-upload-tus-r{time.time_ns()}-{n}.bin")
            sent = session.send_cut_off(path, source, size, half, piece)
            cut_at = time.perf_counter()
            time.sleep(RETRY_DELAY)  # the client's retry delay: waiting, not work
            comeback = _TusSession(url, token)
            came_back = time.perf_counter()
            offset = comeback.offset(path)
            head_seconds = time.perf_counter() - came_back
            try:
                comeback.send(path, source, offset, size, piece)
            except _Refused as refused:  # the server was still saving the cut-off PATCH
                if refused.status not in (409, 423):
                    raise
                sent += comeback.sent
                comeback = _TusSession(url, token)
                comeback.send(path, source, comeback.offset(path), size, piece)
            sent += comeback.sent
            interrupted.append(time.perf_counter() - came_back + cut_at - started)
            resumes.append(head_seconds)
            resent.append(sent - size)
            forget_uploads(case)
        _, peak = servers.peak_rss_kib(worker)
    source.unlink()
    baseline, upload, head = min(baselines), min(whole), min(resumes)
    mib = size / CHUNK
    extra = max(resent)
    resume = head + extra / size * upload
    return [
        TransferResult(
            f"upload by tus, {piece // CHUNK} MiB PATCHes (gunicorn)",
            upload,
            mib / upload,
            upload / baseline,
            extra={"rss_growth_mib": (peak - rss_before) / 1024},
        ),
        TransferResult(
            "tus resume after a cut at 50 % (HEAD + bytes resent), share of the whole upload",
            resume,
            0.0,
            resume / upload,
            note=f"bytes sent beyond the file: {extra:,} (at most one PATCH: {piece:,}); "
            f"cut off and resumed in {min(interrupted):.2f} s against {upload:.2f} s whole",
            extra={"extra_bytes": extra, "piece": piece},
        ),
    ]
