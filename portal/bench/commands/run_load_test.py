"""``make load-test``: wrk on loopback against the reviewer queue and downloads.

16 connections for 30 seconds each (bounded: two runs, one minute in all,
after a 2-second warm-up), through nginx (deploy/nginx.conf) in front of
gunicorn (deploy/gunicorn.conf.py, downloads by X-Accel-Redirect; --workers,
--threads and --worker-class try another sizing). Needs the data of ``make
bench`` in the same database. Counts the 5xx answers, which must be zero, and
the CPU gunicorn and nginx spent per request, which holds on a busy machine
where requests per second do not; prints the load average. Not part of CI.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from access.views.downloads import safe_filename
from portal.bench import servers
from portal.bench.pages import operator_token, signed_in_client
from portal.bench.transfers import download_artifact

CONNECTIONS = 16
SECONDS = 30
DOWNLOAD_BYTES = 64 * 1024 * 1024
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) c2, c3, c4, c5 = 0, 0, 0, 0 end
function response(status, headers, body)
  if status >= 500 then c5 = c5 + 1
  elseif status >= 400 then c4 = c4 + 1
  elseif status >= 300 then c3 = c3 + 1
  else c2 = c2 + 1 end
end
function done(summary, latency, requests)
  local t = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("c2"); t[2] = t[2] + thread:get("c3")
    t[3] = t[3] + thread:get("c4"); t[4] = t[4] + thread:get("c5")
  end
  io.write(string.format("status 2xx %d\\nstatus 3xx %d\\nstatus 4xx %d\\nstatus 5xx %d\\n",
    t[1], t[2], t[3], t[4]))
end
"""


def _wrk_field(pattern: str, output: str, flags: int = 0) -> str:
    """The first group of ``pattern`` in wrk's report."""
    match = re.search(pattern, output, flags)
    if match is None:
        raise CommandError(f"wrk's report has no match for {pattern!r}:\n{output}")
    return match.group(1)


class Command(BaseCommand):
    help = "Load-test the reviewer queue and downloads with wrk (loopback, 16 connections, 30 s)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=SECONDS)
        parser.add_argument("--write", metavar="PATH", help="Append the results to this file.")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="gunicorn processes"
        )
        parser.add_argument(
            "--threads", type=int, help="threads per process (default: deploy/gunicorn.conf.py's)"
        )
        parser.add_argument(
            "--worker-class", choices=("sync", "gthread"), help="default: the config file's"
        )

    def handle(self, *args, seconds, write, workers, threads, worker_class, **options):
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed: apt-get install wrk")
        seconds = max(1, min(seconds, 60))
        workdir = Path(tempfile.mkdtemp(prefix="portal-load-", dir=settings.VAR_DIR))
        reviewer = signed_in_client("reviewer")
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in reviewer.cookies.items())
        grant, artifact, _path = download_artifact(DOWNLOAD_BYTES, workdir)
        download_path = reverse(
            "api_download", args=[grant.pk, artifact.pk, safe_filename(artifact.original_name)]
        )
        token = operator_token()
        # The servers run as in production (DEBUG off): pages need the static
        # files' manifest, as after a deployment's collectstatic.
        subprocess.run(  # noqa: S603 - this project's manage.py
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=settings.BASE_DIR,
            env=servers.server_env(),
            check=True,
        )
        script = workdir / "status.lua"
        script.write_text(STATUS_SCRIPT)
        rows = []
        load_before = os.getloadavg()[0]
        try:
            with (
                servers.gunicorn(
                    workers=workers,
                    threads=threads,
                    worker_class=worker_class,
                    env={"DOWNLOAD_BACKEND": "x-accel"},
                ) as (app, master),
                servers.nginx(app, workdir / "nginx") as nginx_url,
            ):
                # Each worker's first requests load code and templates: not measured.
                self._wrk(nginx_url + reverse("reviews:my_cases"), f"Cookie: {cookie}", script, 2)
                app_pids = [master.pid, *servers.worker_pids(master.pid)]
                proxy_pids = servers.nginx_pids(workdir / "nginx")
                # wrk hands every response body to a Lua response() hook, so
                # downloads run without one (the hook's copying of 64 MiB bodies
                # was the bottleneck, ~36 MB/s): their non-2xx answers are
                # counted together, as an upper bound on the 5xx.
                for label, path, header, counter in (
                    (
                        "reviewer queue (/reviews/mine/)",
                        reverse("reviews:my_cases"),
                        f"Cookie: {cookie}",
                        script,
                    ),
                    (
                        f"download {DOWNLOAD_BYTES // 2**20} MiB (X-Accel-Redirect)",
                        download_path,
                        f"Authorization: Bearer {token}",
                        None,
                    ),
                ):
                    self.stdout.write(f"wrk: {label} …")
                    app_cpu = servers.cpu_seconds(app_pids)
                    proxy_cpu = servers.cpu_seconds(proxy_pids)
                    result = self._wrk(nginx_url + path, header, counter, seconds)
                    requests = max(1, result["2xx"] + result["5xx"] + result["other"])
                    # CPU per request holds on a busy machine, where requests/s do not.
                    result["app ms"] = 1000 * (servers.cpu_seconds(app_pids) - app_cpu) / requests
                    result["nginx ms"] = (
                        1000 * (servers.cpu_seconds(proxy_pids) - proxy_cpu) / requests
                    )
                    rows.append((label, result))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        load_after = os.getloadavg()[0]
        server = f"{worker_class or 'gthread'}, {workers} workers" + (
            f" x {threads} threads" if threads else " x the threads deploy/gunicorn.conf.py sets"
        )
        text = self._table(rows, seconds, server, load_before, load_after)
        self.stdout.write(text)
        if write:
            with Path(write).open("a") as handle:
                handle.write("\n" + text + "\n")
        if any(result["5xx"] for _label, result in rows):
            raise CommandError("5xx answers under load")

    def _wrk(self, url, header, script, seconds) -> dict:
        """One wrk run; ``script`` counts answers by status class (None: wrk's own count)."""
        wrk = shutil.which("wrk")
        if wrk is None:
            raise CommandError("wrk is not installed: apt-get install wrk")
        output = subprocess.run(  # noqa: S603 - fixed program, loopback URL
            [
                wrk,
                f"-c{CONNECTIONS}",
                "-t2",
                f"-d{seconds}s",
                "--latency",
                "--timeout",
                "30s",
                "-H",
                header,
                *(["-s", str(script)] if script else []),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
        if script:
            statuses = dict(re.findall(r"^status (\dxx) (\d+)$", output, re.M))
        else:
            total = int(_wrk_field(r"(\d+) requests in", output))
            non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
            failed = int(non_2xx.group(1)) if non_2xx else 0
            statuses = {"2xx": total - failed, "5xx": failed}
        return {
            "requests/s": float(_wrk_field(r"Requests/sec:\s+([\d.]+)", output)),
            "transfer/s": _wrk_field(r"Transfer/sec:\s+(\S+)", output),
            "p50": _wrk_field(r"^\s+50%\s+(\S+)", output, re.M),
            "p99": _wrk_field(r"^\s+99%\s+(\S+)", output, re.M),
            "2xx": int(statuses.get("2xx", 0)),
            "5xx": int(statuses.get("5xx", 0)),
            "other": sum(int(n) for c, n in statuses.items() if c not in ("2xx", "5xx")),
        }

    def _table(self, rows, seconds, server, load_before, load_after) -> str:
        cores = os.cpu_count() or 1
        busy = max(load_before, load_after) > 1.0
        lines = [
            f"### Load test (wrk, loopback, {CONNECTIONS} connections, {seconds} s each)",
            "",
            f"gunicorn {server}; load average {load_before:.2f} at start, {load_after:.2f} at end"
            f" on {cores} cores" + (" (a busy machine: requests/s and latencies suffer)" * busy),
            "",
            "| target | requests/s | transfer/s | p50 | p99 | 2xx | 5xx | other "
            "| app CPU ms/request | nginx CPU ms/request |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, r in rows:
            lines.append(
                f"| {label} | {r['requests/s']:,.0f} | {r['transfer/s']} | {r['p50']} | {r['p99']} "
                f"| {r['2xx']:,} | {r['5xx']} | {r['other']} | {r['app ms']:.1f} "
                f"| {r['nginx ms']:.2f} |"
            )
        return "\n".join(lines)
