"""nginx (deploy/nginx.conf) in front of gunicorn (deploy/gunicorn.conf.py), on loopback.

With DOWNLOAD_BACKEND=x-accel the app checks the request and nginx sends the
bytes from its internal location: a Range request gets 206 with exactly the
bytes asked for, and the internal location itself is not reachable from outside.
Sign-in throttling behind nginx, with TRUSTED_PROXIES as the README says,
counts each client on its own.
"""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.management import call_command
from django.urls import reverse

from access.views.downloads import safe_filename
from portal.audit.models import AuditEvent
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _browser():
    """A client with its own cookies that shows redirects instead of following them."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
    )


def _sign_in(browser, base_url, username, password, forwarded_for):
    """GET the sign-in page, POST the form; (status, Location). ``forwarded_for`` is the
    address an outer proxy (this test, on loopback, trusted) says the client has."""
    headers = {"X-Forwarded-For": forwarded_for}
    page_request = urllib.request.Request(base_url + "/login/", headers=headers)  # noqa: S310
    page = browser.open(page_request, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        base_url + "/login/", data=form, headers=headers
    )
    try:
        with browser.open(request, timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def test_failures_from_one_client_do_not_lock_out_another_behind_nginx(tmp_path):
    require_program("nginx", "apt-get install nginx-light")
    call_command("seed_demo", verbosity=0)
    password = "deploy-tests-only-password"  # tests/deploy/conftest.py's DEMO_PASSWORD
    attacker, victim = "203.0.113.66", "198.51.100.23"
    env = {"TRUSTED_PROXIES": "127.0.0.1", "TEST_SIGN_IN_THROTTLING": "true"}
    with (
        servers.gunicorn(env=env) as (app_url, _master),
        servers.nginx(app_url, tmp_path / "nginx") as nginx_url,
    ):
        guesser = _browser()
        for username in ["operator", "nobody-by-this-name"]:
            for _ in range(5):
                status, _location = _sign_in(guesser, nginx_url, username, "wrong", attacker)
                assert status == 200
        # The guesser is locked out of that account, even with the right password …
        assert _sign_in(guesser, nginx_url, "operator", password, attacker)[0] == 200
        # … while the person, from another address, signs in.
        status, location = _sign_in(_browser(), nginx_url, "operator", password, victim)
        assert status == 302 and "/login" not in location

    failed = AuditEvent.objects.filter(action="auth.sign_in_failed")
    assert set(failed.values_list("ip", flat=True)) == {attacker}
    assert AuditEvent.objects.get(action="auth.sign_in").ip == victim
