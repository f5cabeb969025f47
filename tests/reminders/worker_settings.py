"""Settings of the real Celery worker that ``test_worker_integration`` starts.

The test settings, with tasks sent through the broker (never run eagerly) and
mail written to files in PORTAL_TEST_MAIL_DIR, which the test then reads (or sent
to the SMTP server on PORTAL_TEST_SMTP_PORT).
"""

import os

from tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["PORTAL_TEST_MAIL_DIR"]},
    }
}
# The outbox tests send through a real SMTP server on loopback, and shorten the
# claim a dead worker leaves, so its mail is due again within seconds.
if os.environ.get("PORTAL_TEST_SMTP_PORT"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "127.0.0.1",
                "port": int(os.environ["PORTAL_TEST_SMTP_PORT"]),
                "use_tls": False,
                "timeout": 30,
            },
        }
    }
EMAIL_CLAIM_SECONDS = int(os.environ.get("PORTAL_TEST_CLAIM_SECONDS", EMAIL_CLAIM_SECONDS))  # noqa: F405
