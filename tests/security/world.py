"""One world for a whole test module, built through the services.

A case in review at CAISI with an accepted lead reviewer (and ONCD's open
request to have it routed to ONCD, which monitors capability jumps), two artifacts, a
finding shared with the developer, an answered and an open information
request, a second case in review led by CAISI with NSA participating and a
drafted recommendation (the joint case), a live grant to the bank whose
operator accepted the terms, an evaluation report, a draft with a score, and a
token for every persona.

``module_world`` builds it once per module inside a transaction that is rolled
back at the end; each test runs in its own savepoint (pytest-django's ``db``),
so a request that changes something changes it for that test only.
"""

import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from access import services as access_services
from access.models import AccessGrant, EvaluationReport, Terms
from portal.accounts.models import AccessToken, Agency, Organization
from portal.capability import services as capability_services
from portal.cases.models import Benchmark
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.discussions import services as discussion_services
from portal.files.uploads import HashingWriter
from reviews.models import Assignment, Finding, Marking, Recommendation, Severity
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
from reviews.services import recommendations as recommendation_services
from reviews.services import requests as request_services
from tests.cases.conftest import draft_fields
from tests.conftest import Role, make_person

# Persona names, in the order the matrix lists them.
PERSONAS = [
    "anonymous",
    "admin",
    "coordinator",  # CAISI: the case is routed to it
    "other_coordinator",  # NSA: the case is not
    "reviewer",  # CAISI, the case's accepted lead reviewer
    "unassigned_reviewer",  # CAISI, not on the case
    "submitter",  # the case's developer
    "other_submitter",  # another developer
    "operator",  # the bank: granted, terms accepted
    "other_operator",  # another bank: no grant
    "monitor",  # ONCD's coordinator: monitors capability jumps, no case routed to it
    "monitor_reviewer",  # ONCD's reviewer: the same agency, on no case
]


def streamed(body: bytes):
    writer = HashingWriter()
    writer.write(body)
    return writer.finish()


@dataclass
class World:
    people: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)  # persona -> raw bearer token
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    world = World()
    caisi = Agency.objects.create(name="Center for AI Standards", acronym="CAISI", slug="caisi")
    nsa = Agency.objects.create(name="National Security Agency", acronym="NSA", slug="nsa")
    oncd = Agency.objects.create(
        name="Office of the National Cyber Director",
        acronym="ONCD",
        slug="oncd",
        monitors_capability=True,
    )
    developer = Organization.objects.create(
        name="Northwind Labs", slug="northwind", kind=Organization.Kind.DEVELOPER
    )
    other_developer = Organization.objects.create(
        name="Meridian ML", slug="meridian", kind=Organization.Kind.DEVELOPER
    )
    bank = Organization.objects.create(
        name="First Harbor Bank",
        slug="first-harbor",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )
    other_bank = Organization.objects.create(
        name="Granite Trust Bank",
        slug="granite",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )
    people = world.people
    people["admin"] = make_person("admin", is_staff=True, is_superuser=True)
    people["coordinator"] = make_person("coordinator", unit=caisi, role=Role.COORDINATOR)
    people["other_coordinator"] = make_person("nsa-coordinator", unit=nsa, role=Role.COORDINATOR)
    people["reviewer"] = make_person("reviewer", unit=caisi, role=Role.REVIEWER)
    people["unassigned_reviewer"] = make_person("reviewer2", unit=caisi, role=Role.REVIEWER)
    people["submitter"] = make_person("submitter", unit=developer, role=Role.SUBMITTER)
    people["other_submitter"] = make_person("submitter2", unit=other_developer, role=Role.SUBMITTER)
    people["operator"] = make_person("operator", unit=bank, role=Role.SECURITY_TEAM)
    people["other_operator"] = make_person("operator2", unit=other_bank, role=Role.SECURITY_TEAM)
    people["monitor"] = make_person("oncd-coordinator", unit=oncd, role=Role.COORDINATOR)
    people["monitor_reviewer"] = make_person("oncd-reviewer", unit=oncd, role=Role.REVIEWER)
    submitter, reviewer = people["submitter"], people["reviewer"]
    coordinator, operator = people["coordinator"], people["operator"]

    terms = Terms.objects.create(
        version=1,
        title="Pre-public access terms",
        body="Keep the model inside your security team.",
        published_at=timezone.now() - timedelta(days=30),
    )
    benchmark = Benchmark.objects.create(
        name="CyberRange", slug="cyberrange", unit="% solved", category="cyber_offense"
    )

    # The case in review.
    case = case_services.create_draft(actor=submitter, **draft_fields(submitter))
    artifact = artifact_services.add_artifact(
        actor=submitter,
        case_id=case.pk,
        kind="weights",
        streamed=streamed(b"weights " * 1000),
        original_name="aurora-2.0.safetensors",
    )
    case_score = artifact_services.set_eval_result(
        actor=submitter, case_id=case.pk, benchmark=benchmark, score=Decimal("38")
    )
    case_services.submit_case(actor=submitter, case_id=case.pk)
    invitation = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=reviewer,
        role=Assignment.Role.LEAD,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    assignment = assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=invitation.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    finding = finding_services.record_finding(
        actor=reviewer,
        case_id=case.pk,
        title="Model writes working exploit",
        category=Finding.Category.CYBER_OFFENSE,
        severity=Severity.HIGH,
        description="Given a CVE, the model wrote a working exploit.",
        marking=Marking.DEVELOPER,
        evidence=[(streamed(b"transcript"), "transcript.txt")],
    )
    answered = request_services.open_request(
        actor=reviewer,
        case_id=case.pk,
        question="Which red-team results are final?",
        response_due=timezone.localdate() + timedelta(days=10),
    )
    answered = request_services.answer_request(
        actor=submitter,
        request_id=answered.pk,
        answer="The March run.",
        files=[(streamed(b"red team results"), "red-team.pdf")],
    )
    open_request = request_services.open_request(
        actor=reviewer,
        case_id=case.pk,
        question="Which safeguards ship at launch?",
        response_due=timezone.localdate() + timedelta(days=10),
    )
    access_grant = access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)
    access_services.accept_terms(actor=operator, terms_id=terms.pk)
    report = access_services.file_report(
        actor=operator,
        grant_id=access_grant.pk,
        title="Exposure of our payment systems",
        risk=EvaluationReport.Risk.MODERATE,
        assessment="The model finds known bugs faster than our patch cycle.",
        marking=EvaluationReport.Marking.DEVELOPER,
        files=[(streamed(b"evaluation notes"), "notes.txt")],
    )

    # The joint case: CAISI leads (routed first), NSA participates; CAISI's
    # coordinator drafted the recommendation. Nobody else works on it.
    joint_case = case_services.create_draft(
        actor=submitter, **draft_fields(submitter, model_name="Cumulus")
    )
    artifact_services.add_artifact(
        actor=submitter,
        case_id=joint_case.pk,
        kind="model_card",
        streamed=streamed(b"# Cumulus"),
        original_name="cumulus.md",
    )
    case_services.submit_case(actor=submitter, case_id=joint_case.pk)
    case_services.route_case(actor=coordinator, case_id=joint_case.pk, agency=nsa)
    case_services.start_review(actor=coordinator, case_id=joint_case.pk)
    recommendation_services.draft_recommendation(
        actor=coordinator,
        case_id=joint_case.pk,
        outcome=Recommendation.Outcome.MITIGATIONS,
        summary="Release with the code tool behind the enterprise tier.",
    )

    # Discussions: with the developer (a message with an attachment and a
    # reply), CAISI's own, and one with the bank about its report.
    developer_thread = discussion_services.start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="Safeguards at launch",
        marking="developer",
        body="Which classifier ships at launch?",
        attachments=[(streamed(b"classifier questions"), "questions.txt")],
    )
    discussion_services.post_message(
        actor=submitter, thread_id=developer_thread.pk, body="Version 4.2."
    )
    agency_thread = discussion_services.start_thread(
        actor=reviewer,
        case_id=case.pk,
        subject="Our red-team plan",
        marking="agency_only",
        body="CAISI only.",
    )
    operator_thread = discussion_services.start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="About your report",
        marking="operator",
        organization_id=bank.pk,
        body="Which payment systems did you test?",
    )

    # A draft of the same developer, with an artifact and a score.
    draft = case_services.create_draft(
        actor=submitter, **draft_fields(submitter, model_name="Borealis")
    )
    draft_artifact = artifact_services.add_artifact(
        actor=submitter,
        case_id=draft.pk,
        kind="model_card",
        streamed=streamed(b"# Borealis"),
        original_name="card.md",
    )
    score = artifact_services.set_eval_result(
        actor=submitter, case_id=draft.pk, benchmark=benchmark, score=Decimal("41.5")
    )

    # ONCD asks CAISI, the case's lead, for the case in review; nobody answered yet.
    routing_request = capability_services.request_routing(
        actor=people["monitor"], case_id=case.pk, reason="A jump on a cyber benchmark."
    )
    # A passkey of one reviewer's (not on the case): only they may remove it.
    passkey = WebAuthnCredential.objects.create(
        user=people["unassigned_reviewer"],
        name="Security key",
        confirmed=True,
        credential_id=b"world-passkey-credential-id",
        public_key=b"not-a-real-key",
    )

    for persona, person in people.items():
        _, world.tokens[persona] = AccessToken.create_for(person, name=f"{persona} script")

    case.refresh_from_db()
    world.objects.update(
        caisi=caisi,
        nsa=nsa,
        oncd=oncd,
        routing_request=routing_request,
        developer=developer,
        bank=bank,
        other_bank=other_bank,
        terms=terms,
        benchmark=benchmark,
        case=case,
        joint_case=joint_case,
        artifact=artifact,
        assignment=assignment,
        finding=finding,
        evidence=finding.evidence.get(),
        answered_request=answered,
        attachment=answered.attachments.get(),
        open_request=open_request,
        grant=access_grant,
        report=report,
        report_file=report.files.get(),
        developer_thread=developer_thread,
        message_attachment=developer_thread.messages.get(author=coordinator).attachments.get(),
        agency_thread=agency_thread,
        operator_thread=operator_thread,
        draft=draft,
        draft_artifact=draft_artifact,
        score=score,
        case_score=case_score,
        submitter_token=AccessToken.objects.get(user=submitter),
        passkey=passkey,
    )
    assert access_grant.status == AccessGrant.Status.ACTIVE
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, once per module; everything is rolled back after the module."""
    media = tempfile.TemporaryDirectory(prefix="portal-security-media-")
    with override_settings(MEDIA_ROOT=media.name), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    media.cleanup()
