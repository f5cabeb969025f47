"""Shared fixtures and helpers for information requests, notes, the recommendation
and the developer's panel.

The fixtures are named in ``__all__``: a test module takes them all with
``from tests.reviews.fixtures_requests import *`` and imports the helpers by name.
Every case is built through the services, as in ``tests/cases/conftest.py``.
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.services import lifecycle as case_services
from portal.notifications.models import Notification
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from reviews.services import requests as request_services
from tests.cases.conftest import FrozenClock, draft_fields, upload_artifact
from tests.conftest import Role, make_person

__all__ = [
    "case_in_review",
    "frozen",
    "lead",
    "media",
    "nsa_coordinator",
    "observer",
    "other_submitter",
    "second_reviewer",
]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch)


@pytest.fixture
def lead(reviewer):
    """The CAISI reviewer, who will be the case's lead reviewer."""
    return reviewer


@pytest.fixture
def second_reviewer(caisi):
    return make_person("second_reviewer", unit=caisi, role=Role.REVIEWER)


@pytest.fixture
def observer(caisi):
    return make_person("observer", unit=caisi, role=Role.REVIEWER)


@pytest.fixture
def nsa_coordinator(nsa):
    """A coordinator of an agency the case is not routed to."""
    return make_person("nsa_coordinator", unit=nsa, role=Role.COORDINATOR)


@pytest.fixture
def other_submitter(other_developer):
    return make_person("other_submitter", unit=other_developer, role=Role.SUBMITTER)


@pytest.fixture
def case_in_review(submitter, coordinator, lead, media):
    """Northwind's case, submitted, routed to CAISI, with CAISI's lead reviewer accepted
    (which starts the review)."""
    case = submit_case(submitter)
    accept(coordinator, lead, case, role=Assignment.Role.LEAD)
    case.refresh_from_db()
    assert case.status == "in_review"
    return case


def submit_case(submitter):
    case = case_services.create_draft(actor=submitter, **draft_fields(submitter))
    upload_artifact(submitter, case)
    return case_services.submit_case(actor=submitter, case_id=case.pk)


def accept(coordinator, reviewer, case, *, role=Assignment.Role.REVIEWER) -> Assignment:
    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role=role,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    return assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )


def ask(reviewer, case, question="Which red-team results are final?", days=10):
    return request_services.open_request(
        actor=reviewer,
        case_id=case.pk,
        question=question,
        response_due=timezone.localdate() + timedelta(days=days),
    )


def workspace_url(case) -> str:
    return reverse("reviews:workspace", args=[case.pk])


def case_url(case) -> str:
    """The Review section of the developer's case page (reviews.panels.review_panel)."""
    return reverse("portal:case_section", args=[case.pk, "review"])


def answer_url(info_request) -> str:
    return reverse("reviews:request_answer", args=[info_request.pk])


def answer_nonce(client, info_request) -> str:
    """The nonce of the request's answer form, as the developer's case page renders it."""
    response = client.get(case_url(info_request.case))
    assert response.status_code == 200
    for info in review_panel(response)["information_requests"]:
        if info.pk == info_request.pk:
            return info.answer_nonce
    raise AssertionError("The Review section has no answer form for this request.")


def review_panel(response) -> dict:
    """The review panel's context on the developer's case page."""
    for template, context in response.context["panels"]:
        if template == "reviews/developer_panel.html":
            return context
    raise AssertionError("The case page has no review panel.")


def has_review_panel(response) -> bool:
    return any(t == "reviews/developer_panel.html" for t, _ in response.context["panels"])


def named_file(name: str, content: bytes) -> io.BytesIO:
    """A file for the test client. Not SimpleUploadedFile: it would cut a long name to 255
    characters before sending it."""
    file = io.BytesIO(content)
    file.name = name
    return file


def stored_files(media: Path) -> list[Path]:
    """Every file under MEDIA_ROOT, the temporary .incoming folder included."""
    return sorted(path for path in media.rglob("*") if path.is_file())


def actions(case) -> list[str]:
    return list(
        AuditEvent.objects.for_target(case).order_by("sequence").values_list("action", flat=True)
    )


def notified(user, contains: str = "") -> list[Notification]:
    return [n for n in Notification.objects.filter(recipient=user) if contains in n.title]


def mails_to(user) -> list:
    return [message for message in mail.outbox if user.email in message.to]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
