"""Settings of the real Celery worker that ``test_worker_integration`` starts.

The test settings, with tasks sent through the broker (never run eagerly) and
mail written to files in PORTAL_TEST_MAIL_DIR, which the test then reads.
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
