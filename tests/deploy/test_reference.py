"""The production reference in deploy/ stays true: the units start what the README
says, the environment template names every setting of the README's table (and
nothing else), deploy/README.md names only files that exist, and the TLS lines
of deploy/nginx.conf are valid nginx once uncommented. `make prod-smoke`
(deploy/smoke.py, in CI) runs the whole reference; these are its cheap checks.
"""

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from portal.bench import servers
from tests.deploy.conftest import require_program

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
VARIABLE = re.compile(r"^#? ?([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_units_start_web_worker_and_beat_as_the_readme_says():
    web, worker, beat = (_unit(f"portal-{name}.service") for name in ("web", "worker", "beat"))
    for unit in (web, worker, beat):
        assert unit["EnvironmentFile"] == ["/etc/portal/portal.env"]
        assert unit["User"] == ["portal"]
    assert web["ExecStart"][0].endswith("gunicorn -c deploy/gunicorn.conf.py portal.wsgi")
    assert " worker " in worker["ExecStart"][0]
    # Beat keeps its schedule in a directory systemd makes for it, owned by portal.
    schedule = re.search(r"--schedule (\S+)", beat["ExecStart"][0]).group(1)
    assert str(Path(schedule).parent).removeprefix("/var/lib/") in beat["StateDirectory"][0].split()


def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` on the units, with this checkout for /srv/portal:
    every directive known and well-formed, every command executable."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text().replace("/srv/portal", str(BASE_DIR))
        text = text.replace("/etc/portal/portal.env", str(DEPLOY / "portal.env.example"))
        text = re.sub(r"^(User|Group)=portal$", r"\1=root", text, flags=re.MULTILINE)
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(path) for path in tmp_path.glob("*.service"))
    assert len(units) == 3
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [analyze, "verify", *units], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr.strip()) == (0, "")


def _table_variables() -> set[str]:
    text = (BASE_DIR / "README.md").read_text()
    table = text[text.index("## Configuration") : text.index("## Production")]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_environment_template_names_every_setting_of_the_readme_and_no_other():
    template = set(VARIABLE.findall((DEPLOY / "portal.env.example").read_text()))
    table = _table_variables()
    assert len(table) > 80
    missing = "add it, commented with its default, to deploy/portal.env.example"
    assert table - template == set(), f"in the README's table only: {missing}"
    assert template - table == set(), "in deploy/portal.env.example only: add it to the table"


def test_the_template_sets_what_production_needs():
    lines = (DEPLOY / "portal.env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z]", line))
    assert values["DEBUG"] == "false"
    for name in (
        "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES",
        "AUDIT_SIGNING_KEY_FILE", "MANIFEST_SIGNING_KEY_FILE", "EMAIL_HOST",
        "STORAGE_BACKEND", "AWS_STORAGE_BUCKET_NAME", "DOWNLOAD_BACKEND",
    ):  # fmt: skip
        assert values.get(name), name
    assert (values["STORAGE_BACKEND"], values["DOWNLOAD_BACKEND"]) == ("s3", "redirect")


def test_deploy_readme_names_only_files_that_exist():
    text = (DEPLOY / "README.md").read_text()
    named = re.findall(r"`((?:deploy|docs|portal|tests|\.ci)/[\w./-]+\.\w+)`", text)
    linked = re.findall(r"\]\(([\w./-]+\.\w+)\)", text)  # relative to deploy/
    assert len(named) >= 5 and len(linked) >= 5
    for path in named:
        assert (BASE_DIR / path).exists(), path
    for path in linked:
        assert (DEPLOY / path).resolve().exists(), path
    assert "deploy/README.md" in (DEPLOY / "nginx.conf").read_text()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.gov")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "fullchain.pem", directory / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def test_the_tls_lines_and_two_upstream_nodes_are_valid_nginx(tmp_path):
    binary = require_program("nginx", "apt-get install nginx-light")
    cert, private = _self_signed(tmp_path)
    text = servers.render_nginx_conf(
        listen=f"127.0.0.1:{servers.free_port()} ssl http2",
        upstream="127.0.0.1:9",
        prefix=tmp_path,
    ).replace("server 127.0.0.1:9;", "server 127.0.0.1:9;\n        server 127.0.0.1:10;")
    tls = re.compile(r"^(\s*)# ((?:server_name|ssl_\w+) .*;)$", re.MULTILINE)
    text, count = tls.subn(r"\1\2", text)
    assert count >= 7
    text = text.replace("/etc/ssl/portal/fullchain.pem", str(cert))
    text = text.replace("/etc/ssl/portal/privkey.pem", str(private))
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ssl_certificate " in text and "server 127.0.0.1:10;" in text


def test_every_request_of_one_cases_uploads_reaches_the_same_web_node(tmp_path):
    """Two web nodes behind deploy/nginx.conf: a resumable upload's creation,
    PATCHes, HEAD and DELETE all go to one node (its partial file is there),
    while other requests are spread over both."""
    import http.server
    import threading
    import urllib.request

    require_program("nginx", "apt-get install nginx-light")

    class Node(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            body = str(self.server.server_port).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _answer

        def log_message(self, *_args):
            pass

    nodes = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Node) for _ in range(2)]
    for node in nodes:
        threading.Thread(target=node.serve_forever, daemon=True).start()
    first, second = (f"127.0.0.1:{node.server_port}" for node in nodes)
    extra_node = f"server {first};\n        server {second};"
    try:
        rewrite = {f"server {first};": extra_node}
        with servers.nginx(f"http://{first}", tmp_path, rewrite=rewrite) as url:

            def node_of(method: str, path: str) -> str:
                request = urllib.request.Request(url + path, method=method, data=b"xyz")  # noqa: S310
                with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
                    return response.read().decode()

            for case in (7, 8, 9, 10):
                base = f"/api/v1/cases/{case}/uploads"
                seen = {node_of("POST", base + "/")}
                seen |= {node_of(m, f"{base}/k{i}") for i in range(6) for m in ("PATCH", "GET")}
                assert len(seen) == 1, (case, seen)
            spread = {node_of("GET", f"/cases/{n}/") for n in range(8)}
            assert len(spread) == 2, spread
    finally:
        for node in nodes:
            node.shutdown()
