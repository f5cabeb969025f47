"""gunicorn, nginx and moto on loopback: started by the bench and the deploy tests.

Each server is a context manager that starts the process on a free loopback
port, waits until it answers, and stops it (its own process only) on exit.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
NGINX_TEMPLATE = BASE_DIR / "deploy" / "nginx.conf"
GUNICORN_CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    """A free loopback port: any, or one of ``BENCH_PORTS`` ("18500-18599") on a shared machine."""
    low, _, high = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port:
                return port
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def wait_until_up(url: str, *, process=None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _stop(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_env(**overrides) -> dict:
    """The environment of a server running this project's settings and database."""
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["VAR_DIR"] = str(Path(db["NAME"]).parent)
    env.update(
        # The settings this process runs with (the tests' own under pytest).
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE") or "portal.settings",
        DEBUG="false",
        # The same key as this process, so sessions made here are valid there.
        SECRET_KEY=settings.SECRET_KEY,
        # Required outside DEBUG; only beat and audit_checkpoint read the file.
        AUDIT_SIGNING_KEY_FILE=str(settings.AUDIT_SIGNING_KEY_FILE),
        # Required outside DEBUG too; read only when a model.sig is signed.
        MANIFEST_SIGNING_KEY_FILE=str(settings.MANIFEST_SIGNING_KEY_FILE),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


@contextlib.contextmanager
def gunicorn(
    *,
    workers: int = 1,
    threads: int | None = None,
    worker_class: str | None = None,
    env: dict | None = None,
    log=None,
):
    """gunicorn with deploy/gunicorn.conf.py on a free loopback port; yields (url, process).

    ``threads`` and ``worker_class`` default to the config file's own choice.
    """
    port = free_port()
    environment = server_env(**(env or {}))
    if threads is not None:
        environment["GUNICORN_THREADS"] = str(threads)
    if worker_class is not None:
        environment["GUNICORN_WORKER_CLASS"] = worker_class
    environment.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_ACCESS_LOG=os.devnull,
        GUNICORN_MAX_REQUESTS="0",
    )
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "portal.wsgi"],
        cwd=BASE_DIR,
        env=environment,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", process=process, seconds=60)
        yield url, process
    finally:
        _stop(process)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_nginx_conf(*, listen: str, upstream: str, prefix: Path, extra: str = "") -> str:
    """deploy/nginx.conf with its placeholders filled in."""
    text = NGINX_TEMPLATE.read_text()
    values = {
        "@LISTEN@": listen,
        "@UPSTREAM@": upstream,
        "@MEDIA_ROOT@": str(settings.MEDIA_ROOT).rstrip("/") + "/",
        "@ACCEL_PREFIX@": settings.DOWNLOAD_ACCEL_PREFIX,
        "@STATIC_ROOT@": str(settings.STATIC_ROOT).rstrip("/") + "/",
        "@PREFIX@": str(prefix),
        "# @EXTRA@": extra,
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


@contextlib.contextmanager
def nginx(upstream_url: str, workdir: Path, *, extra: str = "", rewrite: dict | None = None):
    """nginx in front of ``upstream_url`` on a free loopback port; yields its URL.

    ``rewrite`` replaces text in the rendered configuration (e.g. a second web node)."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "nginx.conf"
    text = render_nginx_conf(
        listen=f"127.0.0.1:{port}",
        upstream=upstream_url.removeprefix("http://"),
        prefix=workdir,
        extra=extra,
    )
    for old, new in (rewrite or {}).items():
        text = text.replace(old, new)
    conf.write_text(text)
    command = [binary, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"]
    if os.geteuid() == 0:
        # As root, nginx's workers would switch to nobody, who may not read MEDIA_ROOT.
        command[-1] = "daemon off; user root;"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/healthz", process=process)
        yield url
    finally:
        _stop(process)


@contextlib.contextmanager
def moto_server():
    """moto's S3 in server mode on a free loopback port; yields its endpoint URL."""
    port = free_port()
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which(
        "moto_server"
    )
    command = [binary, "-H", "127.0.0.1", "-p", str(port)] if binary else None
    if command is None:
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/moto-api/", process=process)
        yield url
    finally:
        _stop(process)


def peak_rss_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def worker_pids(master_pid: int) -> list[int]:
    path = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes so far, in seconds (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def nginx_pids(workdir: Path) -> list[int]:
    """nginx's master (from its pid file in ``workdir``) and its workers."""
    master = int((workdir / "nginx.pid").read_text())
    return [master, *worker_pids(master)]
