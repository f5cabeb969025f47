"""Capability monitoring's periodic task: the weekly digest (thin adapter)."""

import logging

from celery import shared_task

from portal.capability.digest import send_digests

logger = logging.getLogger(__name__)


@shared_task(name="portal.capability_digest", soft_time_limit=600, time_limit=660)
def capability_digest() -> int:
    """Beat runs this weekly; ``manage.py send_capability_digest`` does the same."""
    sent = sum(1 for _user, was_sent, _digest in send_digests() if was_sent)
    logger.info("Capability digests sent: %s", sent)
    return sent
