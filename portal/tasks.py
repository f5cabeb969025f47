from celery import shared_task


@shared_task(ignore_result=False, name="portal.ping")
def ping() -> str:
    """Answers 'pong': proves a worker is consuming from the configured broker."""
    return "pong"
