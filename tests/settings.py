"""The portal's settings for the test suite: the real ones, with a test secret key.

Everything else (database, Redis) comes from the environment exactly as in
production, so `make test` runs on SQLite and CI also runs it on PostgreSQL
and Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="portal-test-var-"))
if "AUDIT_SIGNING_KEY_FILE" not in os.environ:
    # A fresh checkpoint signing key for this run; servers the tests start inherit it.
    from pathlib import Path

    from portal.audit.keyfile import create_private_key

    _key_file = Path(tempfile.mkdtemp(prefix="portal-test-audit-key-")) / "signing-key.pem"
    create_private_key(_key_file)
    os.environ["AUDIT_SIGNING_KEY_FILE"] = str(_key_file)
if "MANIFEST_SIGNING_KEY_FILE" not in os.environ:
    # The same for the manifests' signing key (model.sig).
    from pathlib import Path

    from portal.files.manifests import create_private_key as create_manifest_key

    _manifest_key = Path(tempfile.mkdtemp(prefix="portal-test-manifest-key-")) / "signing-key.pem"
    create_manifest_key(_manifest_key)
    os.environ["MANIFEST_SIGNING_KEY_FILE"] = str(_manifest_key)

from portal.settings import *  # noqa: E402,F403

# Templates use {% static %}; the manifest is only built by collectstatic.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Argon2 stays first (a test checks it); a fast hasher for the many fixtures' users.
PASSWORD_HASHERS = [  # noqa: F405
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
CELERY_TASK_ALWAYS_EAGER = True
STATIC_ROOT = os.path.join(os.environ["VAR_DIR"], "staticfiles")  # noqa: F405
os.makedirs(STATIC_ROOT, exist_ok=True)
# Two-step sign-in is enforced in production; the suite signs people in with
# force_login, and tests/security turns enforcement on with the settings fixture.
MFA_ENFORCED = False
# Sign-in throttling (django-axes) needs a request for every authenticate(); many
# tests call it without one. tests/security/test_throttling.py turns it on, and so
# does a server a test starts with TEST_SIGN_IN_THROTTLING=true (tests/deploy).
AXES_ENABLED = os.environ.get("TEST_SIGN_IN_THROTTLING") == "true"
