"""The access app's periodic task; a thin adapter over the service."""

import logging

from celery import shared_task

from access import services

logger = logging.getLogger(__name__)


@shared_task(name="access.expire_grants", soft_time_limit=600, time_limit=660)
def expire_grants() -> int:
    """Beat runs this every 15 minutes; ``manage.py expire_grants`` does the same.

    Safe to run twice or at once: each grant is claimed before it is closed.
    """
    closed = services.expire_grants()
    logger.info("Grant expiry: %s closed", closed)
    return closed
