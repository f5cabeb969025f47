"""Cases at every point of their lifecycle, built only through the services.

``ready_draft`` is a draft a submitter could send right now: every field
filled in, full notice, one artifact. ``case_in(status)`` takes such a draft
along the real transitions to any status, so a test starts where its journey
starts and nothing is written to the database behind the services' back.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from portal.cases.models import CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.artifacts import add_artifact
from portal.files.uploads import HashingWriter
from tests.conftest import Role, make_person

FULL_NOTICE_MARGIN_DAYS = 30


@pytest.fixture
def media_root(settings, tmp_path):
    """Artifacts of these tests land in a folder of their own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload_artifact(actor, case, *, body=b"# Model card\nAurora 2.0", kind="model_card"):
    writer = HashingWriter()
    writer.write(body)
    return add_artifact(
        actor=actor,
        case_id=case.pk,
        kind=kind,
        streamed=writer.finish(),
        original_name=f"{kind}.md",
    )


def full_notice_release(days_after_notice: int = FULL_NOTICE_MARGIN_DAYS):
    """A planned release that leaves the whole notice period, counted from today."""
    from django.conf import settings

    return timezone.localdate() + timedelta(days=settings.REVIEW_NOTICE_DAYS + days_after_notice)


def draft_fields(contact, **overrides) -> dict:
    fields = {
        "model_name": "Aurora",
        "model_version": "2.0",
        "description": "A frontier model with strong coding and agentic skills.",
        "planned_release_date": full_notice_release(),
        "access_mode": Submission.AccessMode.API,
        "deployment_notes": "Through the company's API, to paying customers first.",
        "contact_person": contact,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_ready_draft(submitter, media_root):
    """Make a draft ready to submit: ``make_ready_draft(actor=..., **field_overrides)``."""

    def make(*, actor=None, with_artifact=True, **overrides) -> Submission:
        actor = actor or submitter
        case = case_services.create_draft(actor=actor, **draft_fields(actor, **overrides))
        if with_artifact:
            upload_artifact(actor, case)
        return case

    return make


@pytest.fixture
def ready_draft(make_ready_draft):
    return make_ready_draft()


@pytest.fixture
def nsa_coordinator(nsa):
    return make_person("nsa-coordinator", unit=nsa, role=Role.COORDINATOR)


@pytest.fixture
def other_submitter(other_developer):
    return make_person("other-submitter", unit=other_developer, role=Role.SUBMITTER)


# The transitions, in order, that take a fresh draft to each status.
PATH_TO = {
    CaseStatus.DRAFT: [],
    CaseStatus.SUBMITTED: ["submit"],
    CaseStatus.IN_REVIEW: ["submit", "start_review"],
    CaseStatus.INFO_REQUESTED: ["submit", "start_review", "pause"],
    CaseStatus.RECOMMENDATION_ISSUED: ["submit", "start_review", "issue_recommendation"],
    CaseStatus.RELEASED: ["submit", "start_review", "issue_recommendation", "release"],
    CaseStatus.WITHDRAWN: ["submit", "start_review", "withdraw"],
}


@pytest.fixture
def move_case(submitter, coordinator):
    """Make one transition as the person who normally makes it."""

    steps = {
        "submit": lambda pk: case_services.submit_case(actor=submitter, case_id=pk),
        "start_review": lambda pk: case_services.start_review(actor=coordinator, case_id=pk),
        "pause": lambda pk: case_services.pause_for_information(
            actor=coordinator, case_id=pk, reason="Which red-team results are final?"
        ),
        "resume": lambda pk: case_services.resume_review(actor=submitter, case_id=pk),
        "issue_recommendation": lambda pk: case_services.mark_recommendation_issued(
            actor=coordinator, case_id=pk
        ),
        "release": lambda pk: case_services.mark_released(
            actor=submitter, case_id=pk, released_on=timezone.localdate()
        ),
        "withdraw": lambda pk: case_services.withdraw_case(
            actor=submitter, case_id=pk, reason="Release postponed indefinitely."
        ),
    }

    def move(case: Submission, step: str) -> Submission:
        return steps[step](case.pk)

    return move


@pytest.fixture
def case_in(ready_draft, move_case):
    """``case_in(status)``: the ready draft, taken through the services to ``status``."""

    def bring(status: str) -> Submission:
        for step in PATH_TO[status]:
            move_case(ready_draft, step)
        ready_draft.refresh_from_db()
        assert ready_draft.status == status
        return ready_draft

    return bring


class FrozenClock:
    """``django.utils.timezone.now`` stopped at a moment the test chooses."""

    def __init__(self, monkeypatch):
        self.moment = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, year, month, day, hour=12, minute=0):
        """Stop the clock at this wall-clock time in the portal's time zone."""
        self.moment = timezone.make_aware(datetime(year, month, day, hour, minute))
        return self.moment

    def advance(self, days=0, **more):
        self.moment += timedelta(days=days, **more)
        return self.moment


@pytest.fixture
def frozen(monkeypatch):
    return FrozenClock(monkeypatch)
