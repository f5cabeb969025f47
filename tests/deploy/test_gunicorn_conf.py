"""deploy/gunicorn.conf.py turns sendfile on.

gunicorn's own `sendfile` setting only ever disables it: any value means off.
"""

import sys

from gunicorn.app.wsgiapp import WSGIApplication

from portal.bench.servers import GUNICORN_CONF


def test_the_production_config_sends_files_with_sendfile(monkeypatch):
    monkeypatch.setenv("SENDFILE", "unset below; restored after the test")
    monkeypatch.delenv("SENDFILE")
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-c", str(GUNICORN_CONF), "portal.wsgi"])
    config = WSGIApplication().cfg
    assert config.sendfile is True
    # Threaded workers: a slow client holds a thread, and the timeout never cuts a
    # long request off (tests/deploy/test_slow_clients.py).
    assert config.worker_class_str == "gthread"
    assert config.threads == 32


def test_a_sync_worker_chosen_by_the_environment_is_one(monkeypatch):
    """gunicorn runs gthread whenever threads > 1: asking for sync gets one thread."""
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "sync")
    config = _config(monkeypatch)
    assert config.threads == 1
    assert config.worker_class_str == "sync"


def test_files_are_sent_through_a_corked_socket(monkeypatch):
    """Cork, send the file, uncork: headers and file leave in full segments."""
    import inspect
    import runpy
    import socket

    from gunicorn.http import wsgi

    original = inspect.unwrap(wsgi.Response.sendfile)  # as gunicorn ships it
    monkeypatch.setattr(wsgi.Response, "sendfile", original)
    config = runpy.run_path(str(GUNICORN_CONF))
    patched = wsgi.Response.sendfile
    assert patched is not original and patched.corked
    # Loading the config again (a reload) does not wrap twice.
    runpy.run_path(str(GUNICORN_CONF))
    assert wsgi.Response.sendfile is patched

    calls = []

    class Sock:
        def setsockopt(self, level, option, value):
            calls.append((level, option, value))

    class Response:
        sock = Sock()

    def send_file(self, respiter):
        calls.append("sendfile")
        return True

    assert config["corked"](send_file)(Response(), iter(())) is True
    cork = (socket.IPPROTO_TCP, socket.TCP_CORK)
    assert calls == [(*cork, 1), "sendfile", (*cork, 0)]


def _config(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-c", str(GUNICORN_CONF), "portal.wsgi"])
    return WSGIApplication().cfg


def test_no_two_instances_share_a_control_socket(monkeypatch):
    """gunicorn's control socket defaults to one path per user: off unless named."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    assert _config(monkeypatch).control_socket_disable is True
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", "/run/portal/web-1.ctl")
    config = _config(monkeypatch)
    assert config.control_socket_disable is False
    assert config.control_socket == "/run/portal/web-1.ctl"


def test_gunicorn_logs_in_the_portal_format_in_utc(monkeypatch):
    import logging.config
    import re

    from django.conf import settings

    from portal.core.logs import FORMATTER

    config = _config(monkeypatch)
    assert config.logconfig_dict["formatters"]["plain"] == FORMATTER
    assert settings.LOGGING["formatters"]["plain"] == FORMATTER
    assert "%(t)s" not in config.access_log_format
    formatter = logging.config.DictConfigurator({}).configure_formatter(FORMATTER)
    record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, "Booting", (), None)
    record.created = 1796121102.5  # 2026-12-01T10:31:42.5Z
    assert formatter.format(record) == "2026-12-01T10:31:42.500+00:00 INFO gunicorn.error Booting"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 ", formatter.format(record))


def test_a_portal_download_sends_itself_and_a_stopped_one_closes_the_connection(monkeypatch):
    """deploy/gunicorn.conf.py hands a body with ``send_to`` (portal.files.serve.GuardedFile)
    the socket after the headers; anything else goes to gunicorn's own sendfile."""
    import runpy

    from gunicorn.http import wsgi

    monkeypatch.setattr(wsgi.Response, "sendfile", wsgi.Response.sendfile)
    segmented = runpy.run_path(str(GUNICORN_CONF))["segmented"]
    calls = []

    def gunicorns_own(self, respiter):
        calls.append("gunicorn")
        return False

    class Config:
        is_ssl = False

    class Response:
        cfg = Config()
        sock = object()

        def can_sendfile(self):
            return True

        def send_headers(self):
            calls.append("headers")

        def force_close(self):
            calls.append("close")

    class Body:
        stopped = False
        sendable = True

        def send_to(self, sock):
            calls.append(("send_to", sock))

    class Wrapper:
        def __init__(self, filelike):
            self.filelike = filelike

    send = segmented(gunicorns_own)
    response = Response()
    assert send(response, Wrapper(Body())) is True
    assert calls == ["headers", ("send_to", response.sock)]

    calls.clear()
    stopped = Body()
    stopped.stopped = True
    send(response, Wrapper(stopped))
    assert calls == ["headers", ("send_to", response.sock), "close"]

    calls.clear()
    assert send(response, Wrapper(object())) is False
    unsendable = Body()
    unsendable.sendable = False  # an S3 stream: gunicorn iterates it
    assert send(response, Wrapper(unsendable)) is False
    assert calls == ["gunicorn", "gunicorn"]
