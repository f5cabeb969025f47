"""gunicorn for the Frontier Review Portal: `gunicorn -c deploy/gunicorn.conf.py portal.wsgi`.

Threaded workers (gthread) behind nginx: uploads stream through nginx into the
app, and downloads leave the worker through sendfile(2) (or, with
DOWNLOAD_BACKEND=x-accel, never pass through it at all), so a slow client holds
one thread for as long as it takes, not a whole process, and never hits the
worker timeout. The numbers were chosen by measurement (docs/operations.md,
"Slow clients and worker sizing"). Every value can be changed by an environment
variable.
"""

import functools
import multiprocessing
import os
import socket

from gunicorn.http import wsgi

from portal.core.logs import FORMATTER

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core runs the Python; the threads wait on slow clients. A
# gthread worker accepts connections while all its threads are busy (they
# queue inside it), so each process needs threads for every slow transfer it
# may hold plus the pages: 20 uploads at 1 MB/s and 20 slow downloads leave
# /healthz and pages under 1 s at p99 with 2 x 32 (docs/operations.md).
# Each thread keeps its own database connection once it has served a request:
# PostgreSQL's max_connections must cover workers x threads per web node, plus
# the Celery worker and beat.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# (gunicorn runs gthread whenever threads > 1, so a sync worker gets one.)
threads = int(os.environ.get("GUNICORN_THREADS", "32" if worker_class == "gthread" else "1"))
# The master kills a worker that has not checked in for `timeout` seconds. A
# sync worker checks in only between requests, so an upload longer than the
# timeout was cut off with a 500; a gthread worker's main loop checks in every
# second while its threads serve requests of any length, so the timeout only
# catches a worker that is truly stuck (tests/deploy/test_slow_clients.py).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# The kernel sends file responses (wsgi.file_wrapper → sendfile(2)): the bytes
# never enter Python. Careful: in gunicorn *any* value of the `sendfile`
# setting — True included — turns sendfile OFF (it backs `--no-sendfile`), so
# it is left unset here and the SENDFILE environment variable says "on".
os.environ.setdefault("SENDFILE", "true")


# Cork the socket while gunicorn sends a file, as nginx's `tcp_nopush` does:
# the headers and the file leave in full segments. Without it a 1 GiB download
# ran at ~70 % of nginx's speed on the same machine; with it, at nginx's speed
# (docs/benchmarks.md). gunicorn has no setting for this, so its one method
# that sends files is wrapped here; on systems without TCP_CORK nothing changes.
def corked(send_file):
    @functools.wraps(send_file)
    def send_file_corked(self, respiter):
        if not hasattr(socket, "TCP_CORK"):
            return send_file(self, respiter)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        try:
            return send_file(self, respiter)
        finally:
            # Uncorking sends whatever is left at once.
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

    send_file_corked.corked = True
    return send_file_corked


# A download of the portal (portal.files.serve.GuardedFile) of a file on local
# disk sends itself (an S3 stream is read by gunicorn instead), with
# sendfile(2) in segments, and stops when access closes mid-transfer (a revoke,
# an expiry, a withdrawal; docs/transfers.md): the connection is then closed, so
# the client sees a response shorter than its Content-Length, never a complete one.
def segmented(send_file):
    @functools.wraps(send_file)
    def send_file_segmented(self, respiter):
        body = getattr(respiter, "filelike", None)
        if not getattr(body, "sendable", False) or self.cfg.is_ssl or not self.can_sendfile():
            return send_file(self, respiter)
        self.send_headers()
        body.send_to(self.sock)
        if body.stopped:
            self.force_close()
        return True

    return send_file_segmented


if not getattr(wsgi.Response.sendfile, "corked", False):
    wsgi.Response.sendfile = corked(segmented(wsgi.Response.sendfile))
# Recycle workers now and then, so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# nginx on the same host sets X-Forwarded-For / -Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs: the portal's one format (portal.core.logs), UTC with its offset, for
# gunicorn's own lines and its access log as for Django's.
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# gunicorn's default, less its own timestamp (%(t)s, in the process's local time):
# the line's UTC time leads it already. Ends with the time taken, in ms.
access_log_format = '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": FORMATTER},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "access": (
            {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"}
            if _access_log == "-"
            else {"class": "logging.FileHandler", "formatter": "plain", "filename": _access_log}
        ),
    },
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}

# gunicorn's control socket (gunicornc) defaults to one path per user, so two
# instances on one machine would share it, and stopping one deletes the
# other's. Off unless GUNICORN_CONTROL_SOCKET names this instance's own path.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
