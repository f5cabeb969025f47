"""The notifications app's periodic tasks; thin adapters over the sweep.

Email delivery's tasks live in ``portal.notifications.delivery`` (imported
here so the worker registers them with the rest).
"""

import logging

from celery import shared_task

from portal.notifications import delivery  # noqa: F401  (registers its tasks)
from portal.notifications.sweep import run_sweep

logger = logging.getLogger(__name__)


@shared_task(ignore_result=False, name="portal.ping")
def ping() -> str:
    """Answers 'pong': proves a worker is consuming from the configured broker."""
    return "pong"


@shared_task(name="portal.deadline_sweep", soft_time_limit=600, time_limit=660)
def deadline_sweep() -> dict:
    """Beat runs this every 15 minutes; ``manage.py run_deadline_sweep`` does the same."""
    counts = run_sweep()
    logger.info("Deadline sweep: %s", counts)
    return counts
