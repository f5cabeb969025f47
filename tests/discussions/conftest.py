"""A case in review routed to CAISI and NSA, with the bank holding a live grant.

Personas (besides tests/conftest.py's): ``lead`` (CAISI's accepted lead),
``caisi_bystander`` (a CAISI reviewer not on the case), ``nsa_coordinator``
and ``nsa_reviewer`` (accepted), ``operator`` (the bank, granted),
``other_operator`` (another bank, no grant), ``other_submitter``,
``oncd_coordinator`` and ``oncd_reviewer`` (ONCD monitors capability jumps:
it sees the case's scores, never its discussions, as the case is not routed to it).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from portal.accounts.models import Agency, Organization
from portal.cases.services import lifecycle as case_services
from portal.discussions import services
from portal.files.uploads import HashingWriter
from reviews.models import Assignment
from reviews.services import assignments as assignment_services
from tests.cases.conftest import draft_fields, upload_artifact
from tests.conftest import Role, make_person


def accept(coordinator, reviewer, case, role=Assignment.Role.REVIEWER):
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


def streamed(body: bytes, name: str = "notes.txt"):
    writer = HashingWriter()
    writer.write(body)
    return (writer.finish(), name)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def lead(reviewer):
    return reviewer


@pytest.fixture
def caisi_bystander(caisi):
    return make_person("bystander", unit=caisi, role=Role.REVIEWER)


@pytest.fixture
def nsa_coordinator(nsa):
    return make_person("nsa_coordinator", unit=nsa, role=Role.COORDINATOR)


@pytest.fixture
def nsa_reviewer(nsa):
    return make_person("nsa_reviewer", unit=nsa, role=Role.REVIEWER)


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
def oncd_reviewer(oncd):
    return make_person("oncd_reviewer", unit=oncd, role=Role.REVIEWER)


@pytest.fixture
def other_submitter(other_developer):
    return make_person("other_submitter", unit=other_developer, role=Role.SUBMITTER)


@pytest.fixture
def other_bank(db):
    return Organization.objects.create(
        name="Granite Trust Bank",
        slug="granite",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


@pytest.fixture
def other_operator(other_bank):
    return make_person("other_operator", unit=other_bank, role=Role.SECURITY_TEAM)


@pytest.fixture
def case(media, submitter, coordinator, lead, nsa, nsa_coordinator, nsa_reviewer, bank, operator):
    """Submitted, routed to CAISI (lead accepted) and NSA (a reviewer accepted),
    with a live grant to the bank."""
    case = case_services.create_draft(actor=submitter, **draft_fields(submitter))
    upload_artifact(submitter, case)
    case_services.submit_case(actor=submitter, case_id=case.pk)
    accept(coordinator, lead, case, role=Assignment.Role.LEAD)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    accept(nsa_coordinator, nsa_reviewer, case)
    access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)
    case.refresh_from_db()
    return case


@pytest.fixture
def personas(
    coordinator,
    lead,
    caisi_bystander,
    nsa_coordinator,
    nsa_reviewer,
    submitter,
    org_admin,
    other_submitter,
    operator,
    other_operator,
    platform_admin,
    oncd_coordinator,
    oncd_reviewer,
):
    return {
        "coordinator": coordinator,
        "lead": lead,
        "caisi_bystander": caisi_bystander,
        "nsa_coordinator": nsa_coordinator,
        "nsa_reviewer": nsa_reviewer,
        "submitter": submitter,
        "org_admin": org_admin,
        "other_submitter": other_submitter,
        "operator": operator,
        "other_operator": other_operator,
        "platform_admin": platform_admin,
        "oncd_coordinator": oncd_coordinator,
        "oncd_reviewer": oncd_reviewer,
    }


# Who reads each marking, among the personas (the thread is started by CAISI's
# coordinator; the agency-only one is CAISI's). ONCD, a monitoring agency the
# case is not routed to, reads none.
GOVERNMENT = {"coordinator", "lead", "nsa_coordinator", "nsa_reviewer"}
READERS = {
    "developer": GOVERNMENT | {"submitter", "org_admin"},
    "interagency": GOVERNMENT,
    "agency_only": {"coordinator", "lead"},
    "operator": GOVERNMENT | {"operator"},
}


def start(case, actor, marking, *, body="The first message.", **extra):
    if marking == "operator" and "organization_id" not in extra:
        extra["organization_id"] = Organization.objects.get(slug="first-harbor").pk
    return services.start_thread(
        actor=actor,
        case_id=case.pk,
        subject=f"A {marking} thread",
        marking=marking,
        body=body,
        **extra,
    )


def thread_url(thread) -> str:
    return reverse("discussions:thread", args=[thread.pk])


def reply_url(thread) -> str:
    return reverse("discussions:message_post", args=[thread.pk])


def start_url(case) -> str:
    return reverse("discussions:thread_start", args=[case.pk])
