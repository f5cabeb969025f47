"""The deadline sweep at size: time and queries, then a second run that sends nothing."""

import time
from dataclasses import dataclass

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from portal.bench.pages import count_queries
from portal.celery import app as celery_app
from portal.notifications import services as notifications
from portal.notifications.models import Notification, SentReminder
from portal.notifications.sweep import run_sweep
from reviews.models import Assignment


@dataclass
class SweepResult:
    run: str
    assignments: int
    seconds: float
    # The process's CPU time: on a busy machine the wall time also counts the
    # time other processes had the cores.
    cpu_seconds: float
    queries: int
    sent: int


def measure_sweep() -> list[SweepResult]:
    """Two sweeps at the same moment, as beat runs them in production.

    The sweep's work ends when it has claimed each reminder, notified in the
    portal and queued the emails; the workers send the emails. So queueing is
    counted here instead of sent to a broker (and nothing runs inline).

    The bench's database is its own: what the two sweeps wrote (their claims and
    notifications) is removed afterwards, so the next run measures the same
    first sweep instead of one that finds everything sent.
    """
    at = timezone.now()
    first_id = (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    first_claim = (
        SentReminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1
    results = []
    queued = []
    original = notifications.enqueue_on_commit
    notifications.enqueue_on_commit = lambda task, *args: transaction.on_commit(
        lambda: queued.append(task.name)
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with override_settings(
            MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        ):
            for label in ("first run", "second run (nothing left to send)"):
                with count_queries() as queries:
                    started, cpu = time.perf_counter(), time.process_time()
                    counts = run_sweep(at)
                    seconds = time.perf_counter() - started
                    cpu_seconds = time.process_time() - cpu
                results.append(
                    SweepResult(
                        run=label,
                        assignments=Assignment.objects.count(),
                        seconds=seconds,
                        cpu_seconds=cpu_seconds,
                        queries=queries.count,
                        sent=sum(v for k, v in counts.items() if k != "pending emails"),
                    )
                )
    finally:
        celery_app.conf.task_always_eager = eager
        notifications.enqueue_on_commit = original
        SentReminder.objects.filter(pk__gte=first_claim).delete()
        Notification.objects.filter(pk__gte=first_id).delete()
    return results
