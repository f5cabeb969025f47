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
    assert config.worker_class_str == "sync"
