"""Deploy tests start real servers on loopback: gunicorn, nginx, moto.

They need a database the servers share with the test, so they use the
transactional ``live_data`` fixture (committed rows) rather than ``db``.
"""

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_program(name: str, install: str):
    """Skip with a clear message when a program is missing; in CI, fail instead."""
    from portal.bench.servers import nginx_binary

    found = nginx_binary() if name == "nginx" else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: {install}"
    if IN_CI:
        pytest.fail(message + " (CI=true: .ci/run installs it)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def demo_password(monkeypatch):
    """seed_demo gives these tests their personas; it wants a password outside DEBUG."""
    monkeypatch.setenv("DEMO_PASSWORD", "deploy-tests-only-password")
