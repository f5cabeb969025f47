"""The audit app's periodic task: sign the chain head (``portal.audit.checkpoints``)."""

import logging

from celery import shared_task

from portal.audit.checkpoints import make_checkpoint
from portal.audit.keyfile import CheckpointKeyError

logger = logging.getLogger(__name__)


@shared_task(name="portal.audit_checkpoint", soft_time_limit=120, time_limit=180)
def audit_checkpoint() -> int | None:
    """Beat runs this every AUDIT_CHECKPOINT_SECONDS; ``manage.py audit_checkpoint`` does the same.

    Returns the sequence signed, or None when the head had not moved. Without
    a readable key it logs an error and signs nothing: retrying cannot help.
    """
    try:
        checkpoint = make_checkpoint()
    except CheckpointKeyError as error:
        logger.error("Audit checkpoint not made: %s", error)
        return None
    return checkpoint.sequence if checkpoint else None
