"""Demo review work on the demo cases: assignments in every state, findings of
every marking, an open information request and issued recommendations, one of
them joint: Tessellate 2.5, led by CAISI, with NSA concurring with conditions."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.accounts.models import Agency
from portal.cases.models import Submission
from portal.cases.services import lifecycle as case_services
from portal.core.hooks import seeder
from portal.core.words import counted
from portal.files.uploads import HashingWriter
from reviews.models import Assignment, Finding, Marking, PositionMarking, Recommendation, Stance
from reviews.services import assignments as assignment_services
from reviews.services import findings as finding_services
from reviews.services import positions as position_services
from reviews.services import recommendations as recommendation_services
from reviews.services import requests as request_services

NO_CONFLICT = {"financial_interest": False, "recent_employment": False}


def _case(model, version):
    return Submission.objects.filter(model_name=model, model_version=version).first()


def _accept(coordinator, reviewer, case, role, days_before_due=7):
    due = case.review_due - timedelta(days=days_before_due)
    assignment = assignment_services.assign_reviewer(
        actor=coordinator, case_id=case.pk, reviewer=reviewer, role=role, due_date=due
    )
    return assignment_services.respond_to_invitation(
        actor=reviewer, assignment_id=assignment.pk, accept=True, **NO_CONFLICT
    )


def _transcript(title: str):
    writer = HashingWriter()
    writer.write(
        f"{title}\n"
        "Prompt: write an urgent wire-transfer request from our CFO.\n"
        "Result: a convincing pretext, personalised from public filings (demo data).\n".encode()
    )
    return writer.finish()


def _route_to_nsa(coordinator, case, people) -> bool:
    """Route the case to NSA too (CAISI keeps the lead), with NSA's reviewer on it."""
    nsa = Agency.objects.filter(acronym="NSA").first()
    if nsa is None or "nsa_coordinator" not in people or "nsa_reviewer" not in people:
        return False
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    case.refresh_from_db()
    _accept(people["nsa_coordinator"], people["nsa_reviewer"], case, Assignment.Role.REVIEWER)
    return True


@seeder(order=20)
def seed_review_work(stdout) -> None:
    User = get_user_model()
    people = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "coordinator",
                "reviewer",
                "reviewer2",
                "submitter",
                "submitter2",
                "nsa_coordinator",
                "nsa_reviewer",
            ]
        )
    }
    coordinator, reviewer, reviewer2 = (
        people["coordinator"],
        people["reviewer"],
        people["reviewer2"],
    )
    made = 0

    case = _case("Aurora", "2.0")
    if case and not case.assignments.exists():
        _accept(coordinator, reviewer, case, Assignment.Role.LEAD)
        assignment_services.assign_reviewer(
            actor=coordinator,
            case_id=case.pk,
            reviewer=reviewer2,
            role=Assignment.Role.REVIEWER,
            due_date=case.review_due - timedelta(days=3),
        )
        findings = [
            (
                "Sandbox escape in agentic coding tasks",
                Finding.Category.CYBER_OFFENSE,
                4,
                Marking.AGENCY_ONLY,
            ),
            (
                "Uplift on exploit development for known CVEs",
                Finding.Category.CYBER_OFFENSE,
                3,
                Marking.INTERAGENCY,
            ),
            ("Refusal gaps in chemistry questions", Finding.Category.CBRN, 2, Marking.DEVELOPER),
            (
                "Phishing content generation at scale",
                Finding.Category.DECEPTION,
                2,
                Marking.OPERATORS,
            ),
        ]
        for title, category, severity, marking in findings:
            finding_services.record_finding(
                actor=reviewer,
                case_id=case.pk,
                title=title,
                category=category,
                severity=severity,
                description=f"{title}. Observed in the government evaluation (demo data).",
                marking=marking,
                # The finding shared with operators carries its evidence to the banks.
                evidence=[(_transcript(title), "phishing-transcript.txt")]
                if marking == Marking.OPERATORS
                else [],
            )
        made += 1

    case = _case("Aurora", "2.1")
    if case and not case.assignments.exists():
        _accept(coordinator, reviewer, case, Assignment.Role.LEAD)
        request_services.open_request(
            actor=reviewer,
            case_id=case.pk,
            question="Which scaffolding and tool access did your cyber evaluations use?",
            response_due=timezone.localdate() + timedelta(days=10),
        )
        made += 1

    case = _case("Tessellate", "3.0")
    if case and not case.assignments.exists():
        assignment = assignment_services.assign_reviewer(
            actor=coordinator,
            case_id=case.pk,
            reviewer=reviewer2,
            role=Assignment.Role.LEAD,
            due_date=case.review_due - timedelta(days=5),
        )
        assignment_services.respond_to_invitation(
            actor=reviewer2,
            assignment_id=assignment.pk,
            accept=False,
            financial_interest=True,
            recent_employment=False,
            other_conflict="",
        )
        made += 1

    for model, version, outcome, release in [
        ("Tessellate", "2.5", Recommendation.Outcome.MITIGATIONS, False),
        ("Aurora", "1.0", Recommendation.Outcome.NO_CONCERNS, True),
    ]:
        case = _case(model, version)
        if not case or case.assignments.exists():
            continue
        lead = _accept(coordinator, reviewer, case, Assignment.Role.LEAD)
        joint = model == "Tessellate" and _route_to_nsa(coordinator, case, people)
        recommendation_services.draft_recommendation(
            actor=reviewer,
            case_id=case.pk,
            outcome=outcome,
            summary=f"The review of {case.title} found no blocking risk (demo data).",
            conditions="Keep the cyber-offense safeguards described in the system card."
            if outcome == Recommendation.Outcome.MITIGATIONS
            else "",
            for_operators="Expect faster exploitation of known CVEs: shorten your patch "
            "cycle for internet-facing systems before the public release (demo data).",
        )
        if joint:
            position_services.record_position(
                actor=people["nsa_coordinator"],
                case_id=case.pk,
                stance=Stance.CONCUR_WITH_CONDITIONS,
                text="NSA concurs on condition that the developer reports any jailbreak of "
                "the cyber safeguards within 72 hours (demo data).",
                marking=PositionMarking.DEVELOPER,
            )
        assignment_services.complete_assignment(actor=reviewer, assignment_id=lead.pk)
        recommendation_services.issue_recommendation(actor=coordinator, case_id=case.pk)
        if release:
            submitter = User.objects.get(
                membership__organization=case.developer, username__startswith="submitter"
            )
            case_services.mark_released(
                actor=submitter, case_id=case.pk, released_on=timezone.localdate()
            )
        made += 1
    stdout.write(f"Demo review work: {counted(made, 'case')} worked.")
