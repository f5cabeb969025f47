"""Least privilege in the admin (docs/security.md, "Admin least privilege").

A platform admin sees a finding's, a position's, an amendment's and an
operator report's metadata, never its text or files, whatever the marking:
not in the list, the record's page, its history or a search. The break-glass
read asks for a reason, is audited on the case, tells the owning agency's
coordinators (for a report, the operator's security team and the routed
agencies' coordinators too), and shows the content once.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.models import EvaluationReport
from portal.audit.models import AuditEvent
from portal.notifications.models import Notification
from reviews.models import AgencyPosition, Finding, PositionAmendment
from tests.security.world import world  # noqa: F401  (the module's world)

pytestmark = pytest.mark.django_db

TEXT = "ZEBRA-OKAPI-7731 synthesis route"  # distinctive: it must never show
TITLE = "QUOKKA-TITLE-4410"


def sealed_records(world):  # noqa: F811
    """Every sealed record, filled with the distinctive text; (admin url name, record)."""
    Finding.objects.filter(pk=world.finding.pk).update(title=TITLE, description=TEXT)
    EvaluationReport.objects.filter(pk=world.report.pk).update(title=TITLE, assessment=TEXT)
    position = AgencyPosition.objects.create(
        case=world.case,
        agency=world.caisi,
        stance=AgencyPosition.Stance.DISSENT,
        text=TEXT,
        recorded_by=world.people["coordinator"],
        recorded_at=timezone.now(),
    )
    amendment = PositionAmendment.objects.create(
        position=position,
        stance_before=AgencyPosition.Stance.CONCUR,
        text_before=TEXT,
        marking_before=AgencyPosition.Marking.INTERAGENCY,
        reason=TEXT,
        amended_by=world.people["coordinator"],
        amended_at=timezone.now(),
    )
    return [
        ("reviews_finding", world.finding),
        ("reviews_agencyposition", position),
        ("reviews_positionamendment", amendment),
        ("access_evaluationreport", world.report),
    ]


def admin_client(world):  # noqa: F811
    client = Client()
    client.force_login(world.people["admin"])
    return client


def assert_sealed(response):
    assert response.status_code == 200
    page = response.content.decode()
    assert "ZEBRA-OKAPI" not in page
    assert "QUOKKA-TITLE" not in page


@pytest.mark.parametrize(
    "marking", [Finding.Marking.AGENCY_ONLY, Finding.Marking.INTERAGENCY, "developer"]
)
def test_admin_pages_never_show_the_text_whatever_the_marking(world, marking):  # noqa: F811
    records = sealed_records(world)
    Finding.objects.filter(pk=world.finding.pk).update(marking=marking)
    client = admin_client(world)

    for url_name, record in records:
        assert_sealed(client.get(reverse(f"admin:{url_name}_changelist")))
        # A search for a word of the text finds nothing and shows nothing.
        searched = client.get(reverse(f"admin:{url_name}_changelist"), {"q": "ZEBRA"})
        assert_sealed(searched)
        change = client.get(reverse(f"admin:{url_name}_change", args=[record.pk]))
        assert_sealed(change)
        assert "Break glass: read the content" in change.content.decode()
        history = client.get(reverse(f"admin:{url_name}_history", args=[record.pk]), follow=True)
        assert_sealed(history)


def test_the_finding_page_shows_its_metadata(world):  # noqa: F811
    sealed_records(world)

    page = admin_client(world).get(reverse("admin:reviews_finding_change", args=[world.finding.pk]))

    text = page.content.decode()
    assert f"Finding #{world.finding.pk}" in text
    assert world.case.number in text
    for shown in ("Agency", "Severity", "Marking", "Created at"):
        assert shown in text
    assert "Description" not in text


def break_glass_url(url_name, record):
    return reverse(f"admin:{url_name}_break_glass", args=[record.pk])


def test_break_glass_needs_a_reason_and_changes_nothing_without_one(world):  # noqa: F811
    records = sealed_records(world)
    client = admin_client(world)

    for url_name, record in records:
        form = client.get(break_glass_url(url_name, record))
        assert_sealed(form)
        for reason in ("", "   ", "because"):
            refused = client.post(break_glass_url(url_name, record), {"reason": reason})
            assert refused.status_code == 400
            assert "ZEBRA-OKAPI" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="admin.break_glass").exists()
    assert not Notification.objects.filter(title__startswith="A platform admin read").exists()


def test_break_glass_on_a_finding_audits_notifies_and_shows_it_once(world):  # noqa: F811
    sealed_records(world)
    client = admin_client(world)
    url = break_glass_url("reviews_finding", world.finding)
    reason = "Subpoena 2026-114 from the Inspector General, item 3"

    response = client.post(url, {"reason": reason})

    assert response.status_code == 200
    page = response.content.decode()
    assert TEXT in page and TITLE in page
    assert "no-cache" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="admin.break_glass")
    assert event.actor == world.people["admin"]
    assert event.target_id == str(world.case.pk)  # the case: the log never holds the title
    assert TITLE not in event.target_repr
    assert event.details["record"] == "reviews.finding"
    assert event.details["id"] == world.finding.pk
    assert event.details["reason"] == reason
    assert event.details["notified"] == ["coordinator"]  # CAISI's coordinator, not NSA's
    told = Notification.objects.get(title__startswith="A platform admin read")
    assert told.recipient == world.people["coordinator"]
    assert reason in told.body
    assert TEXT not in told.body
    # Once: the record's page is sealed again afterwards.
    assert_sealed(client.get(reverse("admin:reviews_finding_change", args=[world.finding.pk])))


def test_break_glass_on_a_report_tells_the_operator_and_the_routed_agencies(world):  # noqa: F811
    sealed_records(world)

    response = admin_client(world).post(
        break_glass_url("access_evaluationreport", world.report),
        {"reason": "Court order 26-cv-0412, production of operator evaluations"},
    )

    assert TEXT in response.content.decode()
    told = set(
        Notification.objects.filter(title__startswith="A platform admin read").values_list(
            "recipient__username", flat=True
        )
    )
    assert "operator" in told  # the bank's security team, who wrote it
    assert "coordinator" in told  # CAISI, the case is routed to it
    assert "operator2" not in told and "nsa-coordinator" not in told


def test_break_glass_is_for_superusers_only(world):  # noqa: F811
    from django.contrib.auth.models import Permission

    records = sealed_records(world)
    staff = world.people["admin"]
    staff.is_superuser = False
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client = admin_client(world)

    for url_name, record in records:
        change = client.get(reverse(f"admin:{url_name}_change", args=[record.pk]))
        assert_sealed(change)
        assert "Break glass" not in change.content.decode()
        assert (
            client.post(break_glass_url(url_name, record), {"reason": "x" * 40}).status_code == 403
        )
    assert not AuditEvent.objects.filter(action="admin.break_glass").exists()


def test_break_glass_on_a_missing_record_is_not_found(world):  # noqa: F811
    response = admin_client(world).get(reverse("admin:reviews_finding_break_glass", args=[99999]))

    assert response.status_code == 404


def test_people_outside_the_admin_cannot_break_glass(world):  # noqa: F811
    sealed_records(world)
    client = Client()
    client.force_login(world.people["coordinator"])

    response = client.post(break_glass_url("reviews_finding", world.finding), {"reason": "x" * 40})

    assert response.status_code == 302
    assert "ZEBRA-OKAPI" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="admin.break_glass").exists()
