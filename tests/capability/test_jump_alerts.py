"""The jump alert: to the coordinators of every agency on the case, in the portal
and by email, exactly once per case and benchmark."""

import pytest
from django.core import mail

from portal.audit.models import AuditEvent
from portal.capability import frontier as capability
from portal.notifications.models import Notification, SentReminder
from tests.capability.conftest import make_benchmark
from tests.conftest import Role, make_person


@pytest.fixture
def two_agencies(settings, coordinator, nsa_coordinator):
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "NSA"]
    return [coordinator, nsa_coordinator]


def jump_alerts(person):
    return Notification.objects.filter(recipient=person, title__startswith="Capability jump")


def test_a_jump_alerts_every_agency_on_the_case_in_app_and_by_email(
    ctf, submit_scores, two_agencies, reviewer, submitter, django_capture_on_commit_callbacks
):
    submit_scores({ctf: 40})
    with django_capture_on_commit_callbacks(execute=True):
        case = submit_scores({ctf: 46})

    for coordinator in two_agencies:
        [alert] = jump_alerts(coordinator)
        assert alert.title == f"Capability jump on {case.number}: {ctf.name} (threshold)"
        assert "46 % solved on Cyber Ctf. Rule fired: threshold." in alert.body
        assert "6 beyond the frontier of 40" in alert.body
        assert alert.case == case
    # Reviewers and the developer are not told; the developer's timeline shows nothing.
    assert not jump_alerts(reviewer).exists()
    assert not jump_alerts(submitter).exists()
    emails = [m for m in mail.outbox if "Capability jump" in m.subject]
    assert sorted(m.to[0] for m in emails) == [
        "coordinator@example.test",
        "nsa-coordinator@example.test",
    ]
    claim = SentReminder.objects.get(kind="capability_jump")
    assert (claim.subject, claim.threshold, claim.recipients) == (
        f"cases.submission:{case.pk}",
        ctf.slug,
        2,
    )
    assert AuditEvent.objects.filter(action="capability.jump_flagged").count() == 1


def test_the_alert_is_sent_once_per_case_and_benchmark(ctf, submit_scores, coordinator):
    bio = make_benchmark("bio-qa")
    submit_scores({ctf: 40, bio: 10})
    case = submit_scores({ctf: 46, bio: 20})
    assert jump_alerts(coordinator).count() == 2  # one per benchmark

    jumps = list(case.eval_results.filter(is_jump=True).select_related("case", "benchmark"))
    assert capability.alert_jumps(jumps) == 0  # a re-run finds both keys taken

    assert jump_alerts(coordinator).count() == 2
    assert SentReminder.objects.filter(kind="capability_jump").count() == 2


def test_no_jump_no_alert(ctf, submit_scores, coordinator):
    submit_scores({ctf: 40})
    submit_scores({ctf: 45})

    assert not jump_alerts(coordinator).exists()
    assert not SentReminder.objects.filter(kind="capability_jump").exists()


def test_an_inactive_coordinator_gets_nothing(ctf, submit_scores, coordinator, caisi):
    colleague = make_person("colleague", unit=caisi, role=Role.COORDINATOR)
    coordinator.is_active = False
    coordinator.save()
    submit_scores({ctf: 40})
    submit_scores({ctf: 46})

    assert not jump_alerts(coordinator).exists()
    assert jump_alerts(colleague).count() == 1
