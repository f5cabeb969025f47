"""Slow clients cannot take the site down (nginx + gunicorn on loopback, as deployed).

20 uploads at 1 MB/s (API PUTs and tus PATCHes) and 20 slow downloads run at
once, each longer than the worker timeout (3 s here): every upload completes,
``/healthz`` and a signed-in page stay under 1 s at p99 meanwhile, and nginx
writes no request body to its disk (they stream through). The browser's
multipart POST streams too: the app has the first megabytes while the client
is still sending.
"""

import functools
import socket
import time
import urllib.parse

import pytest
from django.core.management import call_command
from django.urls import reverse

from access.views.downloads import safe_filename
from portal.bench import servers, slow_clients
from portal.bench.pages import operator_token, signed_in_client
from portal.bench.transfers import download_artifact, draft_case, token_for
from portal.cases.models import Artifact
from portal.files.uploads import incoming_dir
from tests.deploy.conftest import require_program

# gunicorn runs in another process and reads the test's committed rows: PostgreSQL only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
MB = 1_000_000
TIMEOUT = 3  # the workers' timeout in this test; every upload takes longer


def _cookie(client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


def test_slow_uploads_and_downloads_leave_the_site_answering(tmp_path):
    require_program("nginx", "apt-get install nginx-light")
    call_command("seed_demo", verbosity=0)
    case = draft_case()
    before = Artifact.objects.filter(case=case).count()
    submitter = token_for("submitter")
    grant, artifact, _path = download_artifact(16 * 2**20, tmp_path)
    download = reverse(
        "api_download", args=[grant.pk, artifact.pk, safe_filename(artifact.original_name)]
    )
    operator = operator_token()
    page = ("/reviews/mine/", {"Cookie": _cookie(signed_in_client("reviewer"))})
    size = (TIMEOUT + 2) * MB  # 5 s at 1 MB/s: longer than the timeout
    with (
        servers.gunicorn(workers=2, env={"GUNICORN_TIMEOUT": TIMEOUT}) as (app, _master),
        servers.nginx(app, tmp_path / "nginx") as url,
    ):
        put, tus = slow_clients.slow_put, slow_clients.slow_tus
        uploads = [
            functools.partial(
                put, url, slow_clients.upload_path(case.pk, f"slow-{n}.bin"), submitter, size, MB
            )
            for n in range(10)
        ] + [
            functools.partial(tus, url, case.pk, f"slow-tus-{n}.bin", submitter, size, MB, 2 * MB)
            for n in range(10)
        ]
        downloads = [
            functools.partial(
                slow_clients.slow_download, url, download, operator, MB // 4, size / MB
            )
            for _n in range(20)
        ]
        result = slow_clients.run(
            url,
            uploads=uploads,
            downloads=downloads,
            probes={"healthz": ("/healthz", {}), "page": page},
            nginx_workdir=tmp_path / "nginx",
        )
    # Every upload completed, though each took longer than the worker timeout.
    assert sorted(result.upload_statuses) == [201] * 10 + [204] * 10
    assert Artifact.objects.filter(case=case).count() == before + 20
    assert result.seconds > TIMEOUT + 1
    # The slow downloads were served, slowly (about 1.25 MB each, not 16 MiB).
    assert result.download_statuses == [200] * 20
    assert all(0 < received < artifact.size for received in result.download_bytes)
    # Meanwhile the site answered, quickly.
    for label in ("healthz", "page"):
        assert result.statuses(label) == {200}, label
        assert len(result.probes[label]) >= 50, label  # a p99 of enough samples
        assert result.p99(label) < 1.0, (label, result.latencies(label)[-5:])
    # nginx kept none of the bodies on its disk: they streamed through.
    assert result.nginx_buffered_bodies == 0
    assert result.nginx_body_temp_peak == 0


def test_a_browser_upload_reaches_the_app_while_the_client_is_still_sending(tmp_path):
    """The multipart POST is not buffered by nginx: the app writes the first bytes
    to its own temporary file before the body is complete, and nginx writes none."""
    require_program("nginx", "apt-get install nginx-light")
    call_command("seed_demo", verbosity=0)
    case = draft_case()
    csrf = "slowclientsslowclientsslowclient"  # a CSRF secret: 32 letters
    cookie = _cookie(signed_in_client("submitter")) + f"; csrftoken={csrf}"
    incoming = incoming_dir()
    already = set(incoming.glob("upload-*"))
    boundary = "slowclientboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{csrf}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nweights\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data; "
        'name="file"; filename="w.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    length = len(head) + 8 * MB + len(f"\r\n--{boundary}--\r\n")
    with (
        servers.gunicorn(env={"GUNICORN_TIMEOUT": TIMEOUT}) as (app, _master),
        servers.nginx(app, tmp_path / "nginx") as url,
    ):
        address = urllib.parse.urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=30) as client:
            client.sendall(
                (
                    f"POST {reverse('portal:artifact_upload', args=[case.pk])} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\nCookie: {cookie}\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {length}\r\n\r\n"
                ).encode()
                + head
                + b"w" * (3 * MB)
            )
            # Not all of the body is sent: the app has its first bytes all the same.
            deadline = time.monotonic() + 20
            growing = []
            while not growing and time.monotonic() < deadline:
                growing = [
                    p
                    for p in set(incoming.glob("upload-*")) - already
                    if p.exists() and p.stat().st_size >= MB
                ]
                time.sleep(0.05)
            if not growing:
                client.settimeout(5)
                try:
                    answer = client.recv(2000).decode(errors="replace").splitlines()[:1]
                except TimeoutError:
                    answer = ["nothing"]
                raise AssertionError(f"the app had none of the body yet; it answered {answer}")
            assert slow_clients.buffered_body_bytes(tmp_path / "nginx") == 0
        assert slow_clients.buffered_body_warnings(tmp_path / "nginx") == 0
