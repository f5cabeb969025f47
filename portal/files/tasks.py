"""The files app's periodic task: the daily storage check, a thin adapter."""

import logging

from celery import shared_task

from portal.files.reconcile import check_storage

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
