"""The weekly capability digest: its content, exactly once per person and week, and to whom."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from portal.accounts.models import Agency
from portal.capability.digest import send_digests
from portal.capability.selectors import monitoring_staff
from portal.cases.models import EvalResult
from portal.cases.services.corrections import correct_score
from portal.notifications.models import Notification, SentReminder
from tests.capability.conftest import reported
from tests.conftest import Role, make_person


@pytest.fixture
def oncd(db):
    return Agency.objects.create(
        name="Office of the National Cyber Director",
        acronym="ONCD",
        slug="oncd",
        monitors_capability=True,
    )


@pytest.fixture
def oncd_coordinator(oncd):
    return make_person("oncd_coordinator", unit=oncd, role=Role.COORDINATOR)


@pytest.fixture
def week(settings, ctf, submit_scores, submitter, other_submitter, oncd_coordinator, frozen):
    """Before the week: 40. In it: a jump (46, corrected from 64), a drop, a discrepancy."""
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "ONCD"]
    submit_scores({ctf: 40}, day=0)
    jump = submit_scores({ctf: 64}, actor=other_submitter, day=10)
    plain = submit_scores({ctf: 39}, day=11)
    EvalResult.objects.create(
        case=plain,
        benchmark=ctf,
        source=EvalResult.Source.GOVERNMENT,
        score=Decimal("30"),
        recorded_by=oncd_coordinator,
    )
    correct_score(
        actor=other_submitter,
        case_id=jump.pk,
        result_id=reported(jump, ctf).pk,
        score=Decimal(46),
        reason="Typo in the report.",
    )
    frozen.advance(days=2)
    return jump, plain


def digests(person):
    return Notification.objects.filter(recipient=person, title__startswith="Capability digest")


def test_the_digest_tells_the_weeks_results_jumps_discrepancies_and_corrections(
    week, oncd_coordinator, django_capture_on_commit_callbacks
):
    jump, plain = week
    with django_capture_on_commit_callbacks(execute=True):
        [(person, sent, digest)] = send_digests()
    assert (person, sent) == (oncd_coordinator, True)
    assert [r.case for r in digest.new_results] == [jump, plain]
    assert [(label, [r.case for r in group]) for label, group in digest.jumps_by_rule] == [
        ("Threshold", [jump])
    ]
    assert [r.case for r in digest.discrepancies] == [plain]
    assert [c.result.case for c in digest.corrections] == [jump]

    [notice] = digests(oncd_coordinator)
    assert "2 new, 1 jumps" in notice.title
    body = notice.body
    assert f"{jump.number}" in body and "Threshold: 1" in body
    assert "developer 39, government 30" in body
    assert "64 → 46" in body and "Typo in the report." in body
    assert [m.to for m in mail.outbox if "Capability digest" in m.subject] == [
        ["oncd_coordinator@example.test"]
    ]


def test_exactly_once_per_person_and_week(week, oncd_coordinator, frozen):
    assert [sent for _p, sent, _d in send_digests()] == [True]
    assert [sent for _p, sent, _d in send_digests()] == [False]  # a rerun, the same week
    frozen.advance(hours=6)  # still Sunday, the same ISO week
    assert [sent for _p, sent, _d in send_digests()] == [False]
    assert digests(oncd_coordinator).count() == 1
    frozen.advance(days=7)
    assert [sent for _p, sent, _d in send_digests()] == [True]  # the next week's
    assert SentReminder.objects.filter(kind="capability_digest").count() == 2


def test_nobody_outside_the_monitoring_agencies_gets_it(
    week, coordinator, reviewer, submitter, oncd, oncd_coordinator
):
    oncd_reviewer = make_person("oncd_reviewer", unit=oncd, role=Role.REVIEWER)
    send_digests()
    assert sorted(person.username for person in monitoring_staff()) == [
        "oncd_coordinator",
        "oncd_reviewer",
    ]
    assert digests(oncd_reviewer).exists()
    for person in (coordinator, reviewer, submitter):
        assert not digests(person).exists()


def test_the_agency_flag_decides(week, coordinator, oncd, oncd_coordinator):
    coordinator.membership.agency.monitors_capability = True
    coordinator.membership.agency.save(update_fields=["monitors_capability"])
    oncd.monitors_capability = False
    oncd.save(update_fields=["monitors_capability"])
    assert [person for person, _sent, _d in send_digests()] == [coordinator]
    assert not digests(oncd_coordinator).exists()


def test_the_command_and_its_dry_run(week, oncd_coordinator, capsys):
    call_command("send_capability_digest", "--dry-run")
    out = capsys.readouterr().out
    assert "oncd_coordinator: would send (2 new, 1 jumps, 1 discrepancies, 1 corrections)" in out
    assert not digests(oncd_coordinator).exists()
    assert not SentReminder.objects.filter(kind="capability_digest").exists()
    call_command("send_capability_digest")
    call_command("send_capability_digest")
    out = capsys.readouterr().out
    assert "oncd_coordinator: sent" in out and "oncd_coordinator: already sent" in out
    assert digests(oncd_coordinator).count() == 1


def test_an_older_week_is_left_out(week, oncd_coordinator, frozen):
    frozen.advance(days=8)
    [(_person, _sent, digest)] = send_digests(timezone.now())
    assert digest.empty
