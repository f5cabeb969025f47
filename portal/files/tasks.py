"""The files app's periodic task; a thin adapter over the sweep."""

import logging

from celery import shared_task

from portal.files.resumable import expire_uploads as sweep

logger = logging.getLogger(__name__)


@shared_task(name="portal.expire_uploads", soft_time_limit=600, time_limit=660)
def expire_uploads() -> int:
    """Beat runs this every 15 minutes; ``manage.py expire_uploads`` does the same.

    Safe to run twice or at once: a missing row or file is nobody's error.
    """
    removed = sweep()
    logger.info("Upload expiry: %s removed", removed)
    return removed
