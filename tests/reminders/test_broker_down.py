"""The broker is down: a person's action still commits and answers, the failure is
logged, and the next deadline sweep sends the email the lost task would have sent.

Celery publishes for real here (not eagerly), to a local port nothing listens on.
"""

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.cases.models import CaseStatus, Submission
from portal.celery import app
from portal.notifications.models import Notification
from portal.notifications.sweep import run_sweep

DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setitem(app.conf, "broker_url", DEAD_BROKER)
    monkeypatch.setitem(app.conf, "broker_write_url", None)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # Connection pools are built from the broker URL on first use: start afresh.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    with app.connection_for_write() as connection:
        assert (connection.transport_cls, connection.hostname, connection.port) == (
            "redis",
            "127.0.0.1",
            1,
        )


@pytest.mark.django_db(transaction=True)
def test_submitting_a_case_while_the_broker_is_down_commits_answers_and_is_caught_up(
    broker_down, client, make_ready_draft, submitter, coordinator, caplog
):
    draft = make_ready_draft()
    client.force_login(submitter)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="portal.notifications.services"):
        response = client.post(reverse("portal:case_submit", args=[draft.pk]), {"reason": ""})
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 5, f"the request took {elapsed:.1f}s"
    case = Submission.objects.get(pk=draft.pk)
    assert case.status == CaseStatus.SUBMITTED
    [failure] = [r for r in caplog.records if r.name == "portal.notifications.services"]
    assert failure.getMessage() == (
        "Could not queue portal.send_notification_emails; the next deadline sweep will catch up."
    )
    assert failure.exc_info is not None
    [notification] = Notification.objects.filter(recipient=coordinator)
    assert notification.emailed_at is None
    assert mail.outbox == []

    # A sweep within five minutes leaves it alone: the task might only be late.
    assert run_sweep(timezone.now())["pending emails"] == 0
    assert mail.outbox == []
    # The first sweep after that sends it, once.
    later = notification.created_at + timedelta(minutes=5, seconds=1)
    assert run_sweep(later)["pending emails"] == 1
    assert [m.to for m in mail.outbox] == [["coordinator@example.test"]]
    assert mail.outbox[0].subject.startswith(f"[Frontier Review Portal] New case {case.number}")
    assert run_sweep(later + timedelta(minutes=15))["pending emails"] == 0
    assert len(mail.outbox) == 1
