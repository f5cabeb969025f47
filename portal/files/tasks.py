"""The files app's periodic tasks, thin adapters: the daily storage check and the
expiry of abandoned resumable uploads."""

import logging

from celery import shared_task

from portal.files.reconcile import check_storage
from portal.files.resumable import expire_uploads as sweep

logger = logging.getLogger(__name__)


@shared_task(name="portal.storage_check", soft_time_limit=3000, time_limit=3300)
def storage_check() -> dict:
    """Beat runs this daily: removes what dead uploads left behind, reports missing files."""
    report = check_storage(fix=True)
    counts = report.counts()
    if report.missing:
        logger.error(
            "Storage check: %s rows name a file storage does not hold", len(report.missing)
        )
    logger.info("Storage check: %s", counts)
    return counts


@shared_task(name="portal.expire_uploads", soft_time_limit=600, time_limit=660)
def expire_uploads() -> dict:
    """Beat runs this every 15 minutes; ``manage.py expire_uploads`` does the same.

    Safe to run twice or at once: a missing row, file or multipart upload is nobody's error.
    """
    swept = sweep()
    logger.info(
        "Upload expiry: %s removed, %s multipart uploads aborted", swept.removed, swept.aborted
    )
    return {"removed": swept.removed, "aborted": swept.aborted}
