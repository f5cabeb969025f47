"""1 GiB through the real servers: downloads, uploads, and the worker's memory.

- Downloads: the app under gunicorn (sendfile), nginx with X-Accel-Redirect in
  front of the app, and — the baseline — nginx serving the same file
  statically; each as throughput, the first two as a ratio to the third.
- Uploads: ``PUT /api/v1/cases/<id>/artifacts/<name>?kind=weights`` with curl,
  against hashing the same file with hashlib while copying it (what the upload
  must do at least).
- Memory: the gunicorn worker's peak RSS (VmHWM) against its RSS before.
- Revocation: the app's download with and without re-checking the grant
  while it runs (docs/transfers.md), and the cost of one check.

The client is curl, so the client's speed is the same in every measurement.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from access.models import AccessGrant
from access.selectors import grant_is_open
from access.views.downloads import safe_filename
from portal.accounts.models import AccessToken
from portal.bench import servers
from portal.bench.pages import demo_operator_grant, operator_token
from portal.cases.models import Artifact, CaseStatus, Submission

CHUNK = 1024 * 1024


@dataclass
class TransferResult:
    name: str
    seconds: float
    mib_per_s: float
    ratio: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def make_source_file(path: Path, size: int) -> Path:
    """``size`` bytes that do not compress: 1 MiB of random data, varied per MiB."""
    block = os.urandom(CHUNK)
    with path.open("wb") as handle:
        written = 0
        while written < size:
            piece = block[: min(CHUNK, size - written)]
            handle.write(written.to_bytes(8, "big") + piece[8:] if len(piece) > 8 else piece)
            written += len(piece)
    return path


def hash_and_copy(source: Path, target: Path) -> float:
    started = time.perf_counter()
    digest = hashlib.sha256()
    with source.open("rb") as reading, target.open("wb") as writing:
        while data := reading.read(CHUNK):
            digest.update(data)
            writing.write(data)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def curl(*args: str) -> tuple[int, float, int]:
    """(HTTP status, seconds, bytes downloaded) of one curl request."""
    output = subprocess.run(  # noqa: S603 - fixed program, loopback URLs
        [
            shutil.which("curl") or "/usr/bin/curl",
            "-s",
            "-o",
            os.devnull,
            "-w",
            "%{http_code} %{time_total} %{size_download}",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout.split()
    return int(output[0]), float(output[1]), int(float(output[2]))


def token_for(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    _token, raw = AccessToken.create_for(user, name="bench", days=1)
    return raw


def draft_case() -> Submission:
    case = (
        Submission.objects.filter(developer__slug="northwind", status=CaseStatus.DRAFT)
        .order_by("pk")
        .first()
    )
    if case is None:
        raise RuntimeError("No draft case of Northwind: seed the demo data first.")
    return case


def forget_uploads(case) -> None:
    for stored in Artifact.objects.filter(case=case, original_name__startswith="bench-upload-"):
        if stored.file.name:
            stored.file.storage.delete(stored.file.name)
        stored.delete()


def measure_uploads(size: int, repeats: int, workdir: Path) -> list[TransferResult]:
    """Upload and baseline take turns, each after ``sync``: both start with no
    dirty pages waiting for the disk, so neither pays for the other's writes."""
    source = make_source_file(workdir / "upload-source.bin", size)
    case = draft_case()
    token = token_for("submitter")
    baselines, times, statuses = [], [], []
    with servers.gunicorn() as (url, master):
        worker = servers.worker_pids(master.pid)[0]
        rss_before, _ = servers.peak_rss_kib(worker)
        for n in range(repeats):
            os.sync()
            baselines.append(hash_and_copy(source, workdir / "copy.bin"))
            os.sync()
            path = reverse(
                "api_artifact_put", args=[case.pk, f"bench-upload-{time.time_ns()}-{n}.bin"]
            )
            status, seconds, _ = curl(
                "-T",
                str(source),
                "-H",
                f"Authorization: Bearer {token}",
                "-H",
                "Expect:",
                f"{url}{path}?kind=weights",
            )
            statuses.append(status)
            times.append(seconds)
            forget_uploads(case)
        _, peak = servers.peak_rss_kib(worker)
    source.unlink()
    baseline = min(baselines)
    upload = min(times)
    mib = size / CHUNK
    return [
        TransferResult("hash + copy (baseline)", baseline, mib / baseline, 1.0),
        TransferResult(
            "upload by PUT (gunicorn)",
            upload,
            mib / upload,
            upload / baseline,
            note=f"HTTP {sorted(set(statuses))}",
            extra={"rss_growth_mib": (peak - rss_before) / 1024},
        ),
    ]


def download_artifact(size: int, workdir: Path) -> tuple[AccessGrant, Artifact, Path]:
    """An artifact of ``size`` bytes on the demo operator's live grant."""
    grant = demo_operator_grant()
    if grant is None:
        raise RuntimeError("The demo operator has no live grant: seed the demo data first.")
    name = f"bench/download-{size}.bin"
    path = Path(settings.MEDIA_ROOT) / name
    artifact = Artifact.objects.filter(case=grant.case, file=name).first()
    if artifact is None or not path.exists() or path.stat().st_size != size:
        path.parent.mkdir(parents=True, exist_ok=True)
        make_source_file(path, size)
        sha256 = hashlib.sha256()
        with path.open("rb") as handle:
            while data := handle.read(CHUNK):
                sha256.update(data)
        Artifact.objects.filter(case=grant.case, file=name).delete()
        artifact = Artifact.objects.create(
            case=grant.case,
            kind=Artifact.Kind.WEIGHTS,
            original_name=f"bench-{size}.safetensors",
            file=name,
            size=size,
            sha256=sha256.hexdigest(),
            uploaded_by=grant.case.created_by,
        )
    if not grant.all_artifacts:
        grant.artifacts.add(artifact)
    return grant, artifact, path


@dataclass
class DownloadSetup:
    """What every download measurement needs: the artifact on the demo operator's
    grant, a token of the operator, the API path, its header, and the nginx
    location that serves MEDIA_ROOT statically (the baseline)."""

    grant: AccessGrant
    artifact: Artifact
    path: Path
    token: str
    api_path: str

    STATIC_PREFIX = "/bench-static/"

    @property
    def auth(self) -> str:
        """The ``Authorization`` header, as curl's and aria2c's ``--header`` take it."""
        return f"Authorization: Bearer {self.token}"

    @property
    def static_location(self) -> str:
        """An nginx location (``servers.nginx(extra=...)``) serving MEDIA_ROOT as is."""
        return f"location {self.STATIC_PREFIX} {{ alias {Path(settings.MEDIA_ROOT)}/; }}"

    def static_url(self, nginx_url: str) -> str:
        return f"{nginx_url}{self.STATIC_PREFIX}{self.artifact.file.name}"


def download_setup(size: int, workdir: Path) -> DownloadSetup:
    """The artifact of ``size`` bytes, a fresh operator token and the download's API path."""
    grant, artifact, path = download_artifact(size, workdir)
    api_path = reverse(
        "api_download", args=[grant.pk, artifact.pk, safe_filename(artifact.original_name)]
    )
    return DownloadSetup(grant, artifact, path, operator_token(), api_path)


def measure_downloads(size: int, repeats: int, workdir: Path) -> list[TransferResult]:
    setup = download_setup(size, workdir)
    api_path, auth = setup.api_path, setup.auth
    times: dict[str, list[float]] = {"static": [], "app": [], "accel": []}
    statuses = set()
    with (
        servers.gunicorn() as (app_url, app_master),
        servers.gunicorn(env={"DOWNLOAD_BACKEND": "x-accel"}) as (accel_url, _accel_master),
        servers.nginx(accel_url, workdir / "nginx", extra=setup.static_location) as nginx_url,
    ):
        worker = servers.worker_pids(app_master.pid)[0]
        rss_before, _ = servers.peak_rss_kib(worker)
        # Warm the page cache once, so every measurement reads from memory.
        curl(setup.static_url(nginx_url))
        for _ in range(repeats):
            for key, args in (
                ("static", [setup.static_url(nginx_url)]),
                ("app", ["-H", auth, f"{app_url}{api_path}"]),
                ("accel", ["-H", auth, f"{nginx_url}{api_path}"]),
            ):
                status, seconds, received = curl(*args)
                statuses.add((key, status, received == size))
                times[key].append(seconds)
        _, peak = servers.peak_rss_kib(worker)
    mib = size / CHUNK
    static = min(times["static"])
    results = [TransferResult("nginx static file (baseline)", static, mib / static, 1.0)]
    for key, label in (
        ("app", "app under gunicorn (sendfile)"),
        ("accel", "nginx X-Accel-Redirect"),
    ):
        seconds = min(times[key])
        results.append(
            TransferResult(
                label,
                seconds,
                mib / seconds,
                static / seconds,  # throughput as a share of nginx's
                note=", ".join(f"HTTP {s}, complete {ok}" for k, s, ok in statuses if k == key),
            )
        )
    results[1].extra["rss_growth_mib"] = (peak - rss_before) / 1024
    return results


def cleanup(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)


def measure_recheck_cost(repeats: int = 200) -> float:
    """Milliseconds one re-check of a running download takes (``grant_is_open``), in process."""
    grant = demo_operator_grant()
    if grant is None:
        raise RuntimeError("The demo operator has no live grant: seed the demo data first.")
    grant_is_open(grant.pk)  # connect, warm
    started = time.perf_counter()
    for _ in range(repeats):
        grant_is_open(grant.pk)
    return (time.perf_counter() - started) * 1000 / repeats


def measure_revocation_overhead(size: int, repeats: int, workdir: Path) -> list[TransferResult]:
    """The same download from gunicorn with and without re-checking the grant while it runs.

    Without (``DOWNLOAD_RECHECK_SECONDS=0``): one blocking sendfile(2) loop, as
    gunicorn sends a file itself. With: non-blocking sendfile(2) in segments and
    the grant asked again every interval — the default, and every second (the
    smallest setting). Each as a ratio of its time to the time without; the
    target is ≤ 1.05. The cost of one check is measured too.
    """
    setup = download_setup(size, workdir)
    api_path, auth = setup.api_path, setup.auth
    default = settings.DOWNLOAD_RECHECK_SECONDS
    variants = {"without": 0, "default": default, "every second": 1}
    times: dict[str, list[float]] = {key: [] for key in variants}
    statuses = set()
    with contextlib.ExitStack() as stack:
        urls = {
            key: stack.enter_context(servers.gunicorn(env={"DOWNLOAD_RECHECK_SECONDS": value}))[0]
            for key, value in variants.items()
        }
        curl("-H", auth, f"{urls['without']}{api_path}")  # warm the page cache
        order = list(urls)
        for repeat in range(repeats):
            # Each variant goes first in turn: none always follows the same one.
            for key in order[repeat % len(order) :] + order[: repeat % len(order)]:
                status, seconds, received = curl("-H", auth, f"{urls[key]}{api_path}")
                statuses.add((key, status, received == size))
                times[key].append(seconds)
    check_ms = measure_recheck_cost()
    mib = size / CHUNK
    baseline = min(times["without"])
    results = [
        TransferResult(
            "app, no re-check (baseline)",
            baseline,
            mib / baseline,
            1.0,
            note=f"one check: {check_ms:.2f} ms",
            extra={"check_ms": check_ms},
        )
    ]
    for key, label in (
        ("default", f"app, re-check every {default} s (default)"),
        ("every second", "app, re-check every 1 s"),
    ):
        seconds = min(times[key])
        results.append(
            TransferResult(
                label,
                seconds,
                mib / seconds,
                seconds / baseline,  # time as a ratio to the baseline's
                note=", ".join(f"HTTP {s}, complete {ok}" for k, s, ok in statuses if k == key),
            )
        )
    return results
