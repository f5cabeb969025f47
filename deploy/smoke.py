"""`make prod-smoke`: the production reference of deploy/README.md, started and used on loopback.

It starts, each as a process of its own:

- moto's S3 server (the object store), and an SMTP server that keeps what it gets;
- two gunicorn web nodes with deploy/gunicorn.conf.py, on separate ports with
  separate VAR_DIRs, sharing nothing but PostgreSQL (a database of the smoke's
  own, made afresh), Redis (a database number of its own, emptied) and the bucket;
- nginx (deploy/nginx.conf) in front of both;
- a Celery worker and beat (with its schedule's directory),

all with the production settings (DEBUG=false, keys made by the management
commands), over plain HTTP on loopback: TLS is in deploy/nginx.conf, not here.
Then it walks a journey that crosses the nodes on purpose, through their own
ports, and takes the normal path through nginx, and stops everything. Any step
that fails stops the smoke with the step's name and the tail of every log.

Environment: PROD_SMOKE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
portal_prod_smoke; the name must contain "smoke": it is dropped and made
again), PROD_SMOKE_REDIS_URL (default redis://127.0.0.1:6379/14; emptied),
PROD_SMOKE_PORT_BASE (ports base … base+4; default: free ports),
PROD_SMOKE_SECONDS (the bound on the whole run, default 300).
"""

import contextlib
import hashlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.reminders.smtp_sink import smtp_sink  # noqa: E402 - needs BASE_DIR on the path

VENV_BIN = Path(sys.executable).parent
DEMO_PASSWORD = "prod-smoke-" + secrets.token_urlsafe(12)
BUCKET = "portal-prod-smoke"
REVOKE_REASON = "Production smoke: access ends here."
SIZE = 5 * 1024 * 1024 + 123  # more than one multipart part and read chunk


class SmokeFailed(Exception):
    pass


class Timeout(BaseException):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailed(message)


# -- Processes -------------------------------------------------------------


class Processes:
    """Every process the smoke starts, each in a session of its own so that its
    children (gunicorn's and Celery's workers) stop with it."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def log(self, name: str) -> Path:
        return self.run_dir / "logs" / f"{name}.log"

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        with self.log(name).open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started.append((name, process))
        return process

    def run(self, name: str, command: list[str], env: dict) -> None:
        """A one-off command (migrate, seed, keys) that must succeed."""
        with self.log(name).open("ab") as log:
            result = subprocess.run(  # noqa: S603 - fixed arguments
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
            )
        check(result.returncode == 0, f"{' '.join(command[1:4])} exited {result.returncode}")

    def stop_all(self) -> list[str]:
        """Stop in reverse order: TERM to each process, which stops its own children
        as it does under systemd; KILL to any group still alive after 15 s, named."""
        for _name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _name, process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        left = []
        for name, process in self.started:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                continue
            left.append(name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return left

    def tails(self, lines: int = 40) -> str:
        out = []
        for path in sorted((self.run_dir / "logs").glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"----- {path.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(out)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe, seconds: float, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check(process is None or process.poll() is None, f"{what}: the process exited")
        with contextlib.suppress(OSError, SmokeFailed):
            result = probe()
            if result:
                return result
        time.sleep(0.2)
    raise SmokeFailed(f"{what}: not within {seconds:.0f} s")


# -- HTTP as a browser does it ----------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies, sent to whichever node is asked: a session made on one
    node is presented to the other. Redirects are shown, not followed."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def request(self, method, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(  # noqa: S310 - loopback only
            url, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def page(self, url) -> str:
        status, _headers, body = self.request("GET", url)
        check(status == 200, f"GET {url}: {status}, expected 200 (signed in)")
        return body.decode()

    def post_form(self, page_url, action_url, fields) -> tuple[int, str]:
        """Fetch a page for its CSRF token, post the form; (status, Location)."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page(page_url))
        check(token, f"{page_url}: no CSRF token on the page")
        status, headers, _body = self.request(
            "POST", action_url, {"csrfmiddlewaretoken": token.group(1), **fields}
        )
        return status, headers.get("Location", "")

    def sign_in(self, node, username):
        status, location = self.post_form(
            node + "/login/", node + "/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        check(status == 302 and "/login" not in location, f"{username} signs in on {node}")


def plain_get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# -- The deployment ---------------------------------------------------------


class Deployment:
    """Ports, directories and the environment of each process."""

    def __init__(self, run_dir: Path, sink_port: int):
        base = os.environ.get("PROD_SMOKE_PORT_BASE")
        ports = [int(base) + i for i in range(4)] if base else [free_port() for _ in range(4)]
        self.moto_port, self.node_ports, self.nginx_port = ports[0], ports[1:3], ports[3]
        self.run_dir = run_dir
        self.sink_port = sink_port
        self.database_url = os.environ.get(
            "PROD_SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_prod_smoke"
        )
        self.redis_url = os.environ.get("PROD_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/14")
        self.secret_key = secrets.token_urlsafe(64)
        self.s3 = f"http://127.0.0.1:{self.moto_port}"
        self.nodes = [f"http://127.0.0.1:{port}" for port in self.node_ports]
        self.nginx = f"http://127.0.0.1:{self.nginx_port}"

    def var_dir(self, name: str) -> Path:
        path = self.run_dir / name
        (path / "etc").mkdir(parents=True, exist_ok=True)
        return path

    def env(self, name: str, **extra) -> dict:
        """The production environment (deploy/portal.env.example) of one process,
        less TLS: plain HTTP on loopback, so cookies are not Secure-only here."""
        var = self.var_dir(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
        env.update(
            DEBUG="false",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            # localhost: passkeys accept http only there (WEBAUTHN_ORIGINS follows SITE_URL).
            SITE_URL=f"http://localhost:{self.nginx_port}",
            CSRF_TRUSTED_ORIGINS=f"http://localhost:{self.nginx_port}",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            VAR_DIR=str(var),
            STORAGE_BACKEND="s3",
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=self.s3,
            AWS_S3_REGION_NAME="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="smoke",
            AWS_SECRET_ACCESS_KEY="smoke",  # noqa: S106 - moto accepts any
            AWS_S3_ADDRESSING_STYLE="path",
            DOWNLOAD_BACKEND="redirect",
            TRUSTED_PROXIES="127.0.0.1",
            SECURE_COOKIES="false",
            AUDIT_SIGNING_KEY_FILE=str(var / "etc" / "audit-signing-key.pem"),
            MANIFEST_SIGNING_KEY_FILE=str(var / "etc" / "manifest-signing-key.pem"),
            AUDIT_CHECKPOINT_FILE=str(var / "audit-checkpoints.jsonl"),
            AUDIT_CHECKPOINT_SECONDS="10",
            EMAIL_OUTBOX_SECONDS="10",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.sink_port),
            EMAIL_USE_TLS="false",
            DEMO_PASSWORD=DEMO_PASSWORD,
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def nginx_conf(self, prefix: Path) -> str:
        """deploy/nginx.conf with its placeholders filled in: both web nodes upstream."""
        servers = "\n        ".join(f"server 127.0.0.1:{port};" for port in self.node_ports)
        text = (BASE_DIR / "deploy" / "nginx.conf").read_text()
        for placeholder, value in {
            "@LISTEN@": f"127.0.0.1:{self.nginx_port}",
            "server @UPSTREAM@;": servers,
            "@MEDIA_ROOT@": str(self.run_dir / "node-a" / "media") + "/",
            "@ACCEL_PREFIX@": "/protected-artifacts/",
            "@STATIC_ROOT@": str(BASE_DIR / "staticfiles") + "/",
            "@PREFIX@": str(prefix),
        }.items():
            text = text.replace(placeholder, value)
        return text


def reset_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    check(
        "smoke" in name,
        f"PROD_SMOKE_DATABASE_URL names {name!r}: it is dropped, so it must contain 'smoke'",
    )
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def query_one(url: str, query: str, *params):
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(query, params).fetchone()  # type: ignore[arg-type]
    check(row is not None, f"no row for {query}")
    return row[0]


# -- The run ----------------------------------------------------------------


class Steps:
    def __init__(self):
        self.started = time.monotonic()
        self.current = "start"

    @contextlib.contextmanager
    def __call__(self, name: str):
        self.current = name
        yield
        print(f"  ok {time.monotonic() - self.started:6.1f} s  {name}", flush=True)


def start_everything(step: Steps, procs: Processes, d: Deployment) -> None:
    python = sys.executable
    with step("PostgreSQL database made afresh, Redis database emptied"):
        reset_database(d.database_url)
        import redis

        redis.Redis.from_url(d.redis_url).flushdb()
    with step("moto's S3 server up, bucket made"):
        import boto3

        moto = procs.start(
            "moto",
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(d.moto_port)],
            d.env("moto"),
        )
        wait_for("moto", lambda: plain_get(d.s3 + "/moto-api/")[0] == 200, 30, moto)
        s3 = boto3.client(
            "s3",
            endpoint_url=d.s3,
            region_name="us-east-1",
            aws_access_key_id="smoke",
            aws_secret_access_key="smoke",  # noqa: S106
        )
        s3.create_bucket(Bucket=BUCKET)
    with step("keys made by the management commands, copied to each machine"):
        keys = d.var_dir("keys")
        key_env = {k: v for k, v in d.env("keys").items() if k not in ("DATABASE_URL", "REDIS_URL")}
        key_env.update(DEBUG="true")
        procs.run("keys", [python, "manage.py", "audit_key", "--create"], key_env)
        procs.run("keys", [python, "manage.py", "manifest_key", "--create"], key_env)
        for machine in ("node-a", "node-b", "worker", "beat", "deploy"):
            for key in ("audit-signing-key.pem", "manifest-signing-key.pem"):
                shutil.copy(keys / "etc" / key, d.var_dir(machine) / "etc" / key)
    env = d.env("deploy")
    with step("migrate"):
        procs.run("deploy", [python, "manage.py", "migrate", "--noinput"], env)
    with step("seed_demo (its artifacts go into the bucket)"):
        procs.run("deploy", [python, "manage.py", "seed_demo"], env)
    with step("collectstatic"):
        procs.run("deploy", [python, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    with step("two web nodes (gunicorn -c deploy/gunicorn.conf.py), a worker, beat, nginx"):
        nodes = []
        for name, port in zip(("node-a", "node-b"), d.node_ports, strict=True):
            env = d.env(
                name,
                GUNICORN_BIND=f"127.0.0.1:{port}",
                GUNICORN_WORKERS="2",
                GUNICORN_ACCESS_LOG=str(procs.log(f"{name}-access")),
            )
            command = [python, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "portal.wsgi"]
            nodes.append(procs.start(name, command, env))
        celery = [python, "-m", "celery", "-A", "portal"]
        worker = ["worker", "--loglevel=INFO", "--concurrency=2", "--hostname=smoke-worker@%h"]
        procs.start("worker", celery + worker, d.env("worker"))
        schedule = d.var_dir("beat") / "schedule"
        schedule.mkdir()
        beat = ["beat", "--loglevel=INFO", "--schedule", str(schedule / "celerybeat-schedule")]
        procs.start("beat", celery + beat, d.env("beat"))
        prefix = d.run_dir / "nginx"
        prefix.mkdir()
        (prefix / "nginx.conf").write_text(d.nginx_conf(prefix))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        front = procs.start(
            "nginx",
            [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", directives],
            d.env("nginx"),
        )
        for url, process in [*zip(d.nodes, nodes, strict=True), (d.nginx, front)]:
            wait_for(url, lambda url=url: plain_get(url + "/healthz")[0] == 200, 60, process)


def journey(step: Steps, procs: Processes, d: Deployment, sink) -> None:
    node_a, node_b = d.nodes
    case_id = query_one(
        d.database_url,
        "SELECT id FROM cases_submission WHERE model_name = 'Aurora' AND model_version = '2.0'",
    )
    grant_id = query_one(
        d.database_url,
        "SELECT g.id FROM access_accessgrant g JOIN accounts_organization o "
        "ON o.id = g.operator_id WHERE g.case_id = %s AND o.slug = 'first-harbor-bank'",
        case_id,
    )

    with step("nginx spreads requests over both nodes"):
        for i in range(8):
            check(plain_get(f"{d.nginx}/healthz?via=nginx-{i}")[0] == 200, "nginx /healthz")
        for name in ("node-a", "node-b"):
            check(
                "via=nginx-" in procs.log(f"{name}-access").read_text(),
                f"{name} got none of nginx's requests",
            )

    submitter, operator = Browser(), Browser()
    with step("submitter signs in on node A, creates a token on node B, reads it on node A"):
        submitter.sign_in(node_a, "submitter")
        status, location = submitter.post_form(
            node_b + "/account/tokens/",
            node_b + "/account/tokens/new",
            {"name": "prod smoke upload", "days": "1"},
        )
        check(status == 302 and "/login" not in location, f"token created on node B: {status}")
        secret = re.search(r'id="new-token">([^<]+)<', submitter.page(node_a + "/account/tokens/"))
        check(secret, "node A shows the token node B created (one session, two nodes)")
        token = secret.group(1).strip()

    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    with step(f"upload {SIZE:,} bytes by PUT through node A (into the bucket)"):
        status, _headers, body = submitter.request(
            "PUT",
            f"{node_a}/api/v1/cases/{case_id}/artifacts/prod-smoke.safetensors?kind=weights",
            content,
            {
                "Authorization": f"Bearer {token}",
                "X-Content-SHA256": sha256,
                "Content-Type": "application/octet-stream",
            },
        )
        check(status == 201, f"upload: {status} {body[:300]!r}")
        check(f'"sha256": "{sha256}"' in body.decode(), "the stored SHA-256 is the file's")
        artifact_id = int(re.search(rb'"id": (\d+)', body).group(1))

    with step("operator signs in on node B, accepts the terms on node A"):
        operator.sign_in(node_b, "operator")
        terms = re.search(
            r'name="terms_id" value="(\d+)"', operator.page(node_a + "/access/terms/")
        )
        check(terms, "the terms page offers the current terms")
        status, _location = operator.post_form(
            node_a + "/access/terms/",
            node_a + "/access/terms/accept",
            {"terms_id": terms[1], "accept": "on"},
        )
        check(status == 302, f"terms accepted: {status}")
        link = re.search(
            rf'/access/grants/{grant_id}/artifacts/{artifact_id}/[^"?#]+',
            operator.page(f"{node_a}/access/grants/{grant_id}/"),
        )
        check(link, "node A's grant page lists the file uploaded through node A")
        download = link.group(0)

    with step("download through node B with Range, and whole; SHA-256 checked"):
        ranged = {"Range": "bytes=1000000-1999999"}
        status, headers, _body = operator.request("GET", node_b + download, headers=ranged)
        check(
            status == 302 and headers["Location"].startswith(d.s3),
            f"node B redirects to the store: {status}",
        )
        status, headers, body = plain_get(headers["Location"], ranged)
        check(
            status == 206 and body == content[1000000:2000000],
            f"Range through the presigned URL: {status}, {len(body)} bytes",
        )
        check(headers["Content-Range"] == f"bytes 1000000-1999999/{SIZE}", "Content-Range")
        status, headers, _body = operator.request("GET", node_b + download)
        check(status == 302, f"node B, the whole file: {status}")
        status, _headers, body = plain_get(headers["Location"])
        check(status == 200 and hashlib.sha256(body).hexdigest() == sha256, "whole file's SHA-256")
        status, _headers, sums = operator.request(
            "GET", f"{d.nginx}/access/grants/{grant_id}/SHA256SUMS"
        )
        check(
            status == 200 and f"{sha256}  {download.rsplit('/', 1)[1]}" in sums.decode(),
            f"SHA256SUMS through nginx names the file with its SHA-256: {status}",
        )

    with step("submitter revokes on node A; node B and nginx refuse the next request"):
        mails_before = len(sink.accepted)
        status, _location = submitter.post_form(
            node_a + "/account/tokens/",
            f"{node_a}/access/grants/{grant_id}/revoke",
            {"reason": REVOKE_REASON, "understood": "on"},
        )
        check(status == 302, f"revoke on node A: {status}")
        check(
            query_one(
                d.database_url,
                "SELECT revoked_at IS NOT NULL FROM access_accessgrant WHERE id = %s",
                grant_id,
            ),
            "the grant is revoked",
        )
        for url in (node_b + download, d.nginx + download):
            status, headers, _body = operator.request("GET", url)
            check(status == 404 and "Location" not in headers, f"{url} after the revoke: {status}")

    with step("the worker emails the revoke notice (queued on Redis by node A)"):
        address = query_one(
            d.database_url, "SELECT email FROM accounts_user WHERE username = %s", "operator"
        )

        def revoke_mail():
            return next(
                (
                    m
                    for m in sink.accepted[mails_before:]
                    if REVOKE_REASON in m.as_string() and address in str(m["To"])
                ),
                None,
            )

        wait_for(f"the revoke email to {address}", revoke_mail, 60)

    with step("beat's schedule fires on the worker: a signed audit checkpoint"):
        checkpoints = d.var_dir("worker") / "audit-checkpoints.jsonl"
        wait_for(
            "an audit checkpoint", lambda: checkpoints.exists() and checkpoints.read_text(), 45
        )
        check(any((d.var_dir("beat") / "schedule").iterdir()), "beat keeps its schedule file")


def main() -> int:
    seconds = int(os.environ.get("PROD_SMOKE_SECONDS", "300"))
    run_dir = Path(tempfile.mkdtemp(prefix="portal-prod-smoke-"))
    (run_dir / "logs").mkdir()
    procs, step = Processes(run_dir), Steps()

    def stop(signum, _frame):
        raise Timeout(f"signal {signum}" if signum != signal.SIGALRM else f"over {seconds} s")

    for signum in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    signal.alarm(seconds)
    print(f"prod-smoke: two web nodes behind nginx, a worker and beat (logs: {run_dir}/logs)")
    failure = None
    try:
        with smtp_sink() as sink:
            deployment = Deployment(run_dir, sink.port)
            start_everything(step, procs, deployment)
            journey(step, procs, deployment, sink)
    except (Exception, Timeout) as error:  # noqa: BLE001 - every failure is reported the same way
        failure = f"{type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
        left = procs.stop_all()
    if left:
        failure = (failure or "") + f"; processes that needed SIGKILL: {', '.join(left)}"
    total = time.monotonic() - step.started
    if failure:
        print(procs.tails(), file=sys.stderr)
        print(
            f"\nprod-smoke FAILED at '{step.current}' after {total:.1f} s: {failure}",
            file=sys.stderr,
        )
        print(f"logs kept in {run_dir}/logs", file=sys.stderr)
        return 1
    shutil.rmtree(run_dir, ignore_errors=True)
    print(f"prod-smoke passed in {total:.1f} s; {len(procs.started)} processes stopped, none left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
