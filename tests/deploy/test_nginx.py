"""nginx (deploy/nginx.conf) in front of gunicorn (deploy/gunicorn.conf.py), on loopback.

With DOWNLOAD_BACKEND=x-accel the app checks the request and nginx sends the
bytes from its internal location: a Range request gets 206 with exactly the
bytes asked for, and the internal location itself is not reachable from outside.
"""

import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.urls import reverse

from access.views.downloads import safe_filename
from portal.bench import servers
from portal.bench.pages import operator_token
from portal.bench.transfers import download_artifact
from portal.files.serve import etag_for
from tests.deploy.conftest import require_program

# gunicorn runs in another process and reads the test's committed rows, which
# SQLite's in-memory test database cannot share: PostgreSQL only (CI runs it there).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
SIZE = 3 * 1024 * 1024 + 17


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_range_download_through_nginx_with_x_accel(tmp_path, settings):
    require_program("nginx", "apt-get install nginx-light")
    settings.DOWNLOAD_BACKEND = "x-accel"
    call_command("seed_demo", verbosity=0)
    grant, artifact, path = download_artifact(SIZE, tmp_path)
    content = path.read_bytes()
    token = operator_token()
    url_path = reverse(
        "api_download", args=[grant.pk, artifact.pk, safe_filename(artifact.original_name)]
    )
    with (
        servers.gunicorn(env={"DOWNLOAD_BACKEND": "x-accel"}) as (app_url, _master),
        servers.nginx(app_url, tmp_path / "nginx") as nginx_url,
    ):
        auth = {"Authorization": f"Bearer {token}"}
        status, headers, body = _get(nginx_url + url_path, {**auth, "Range": "bytes=1000-1999"})
        assert status == 206
        assert headers["Content-Range"] == f"bytes 1000-1999/{SIZE}"
        assert body == content[1000:2000]
        assert "X-Accel-Redirect" not in headers
        assert "attachment" in headers["Content-Disposition"]

        status, headers, body = _get(nginx_url + url_path, auth)
        assert status == 200
        assert body == content
        # The app's ETag (the file's SHA-256) comes through nginx, and If-Range
        # compares against it: the same ETag resumes, another gets the whole file.
        etag = etag_for(artifact.sha256)
        assert headers["ETag"] == etag
        resume = {**auth, "Range": "bytes=10-19", "If-Range": etag}
        status, headers, body = _get(nginx_url + url_path, resume)
        assert (status, body, headers["ETag"]) == (206, content[10:20], etag)
        status, _headers, body = _get(nginx_url + url_path, {**resume, "If-Range": '"stale"'})
        assert (status, body) == (200, content)

        # Without the token: the app refuses, nginx sends nothing.
        status, _headers, body = _get(nginx_url + url_path)
        assert status == 401
        assert content[:64] not in body
        # The internal location answers 404 to anyone who asks for it directly.
        status, _headers, _body = _get(nginx_url + "/protected-artifacts/" + artifact.file.name)
        assert status == 404
