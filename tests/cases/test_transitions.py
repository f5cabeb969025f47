"""Who may move a case, from which status, and what a refusal leaves behind.

The table below is the lifecycle in one place: for each action, the people who
may take it and the statuses it starts from. Every (status, action, person)
combination is tried through the services; an allowed one moves the case and
writes its audit event naming the person, a refused one says why and changes
nothing at all.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from guardian.shortcuts import get_group_perms

from portal.audit.models import AuditEvent
from portal.cases.models import CaseRouting, CaseStatus, ClockEvent, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused
from portal.notifications.models import Notification
from tests.cases.conftest import PATH_TO, draft_fields, upload_artifact

S = CaseStatus
DEVELOPER = {"submitter", "org_admin"}
ROUTED_COORDINATOR = {"coordinator"}
ROUTED_AGENCY = {"coordinator", "reviewer"}
AGENCY_STAFF = {"coordinator", "reviewer", "nsa_coordinator"}
ACTORS = [
    "submitter",
    "org_admin",
    "other_submitter",
    "coordinator",
    "nsa_coordinator",
    "reviewer",
    "operator",
]
OPEN = {S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.RECOMMENDATION_ISSUED}
UNDER_REVIEW = {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.RECOMMENDATION_ISSUED}

# action: (who may, from which statuses, audit action written, status afterwards;
#          None keeps the status)
LIFECYCLE = {
    "update_draft": (DEVELOPER, {S.DRAFT}, "case.edited", None),
    "submit": (DEVELOPER, {S.DRAFT}, "case.submitted", S.SUBMITTED),
    "withdraw": (DEVELOPER, OPEN, "case.withdrawn", S.WITHDRAWN),
    "start_review": (ROUTED_COORDINATOR, {S.SUBMITTED}, "case.review_started", S.IN_REVIEW),
    "pause": (ROUTED_AGENCY, {S.IN_REVIEW}, "case.clock_paused", S.INFO_REQUESTED),
    "resume": (ROUTED_AGENCY | DEVELOPER, {S.INFO_REQUESTED}, "case.clock_resumed", S.IN_REVIEW),
    "extend": (
        ROUTED_COORDINATOR,
        {S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED},
        "case.extended",
        None,
    ),
    "issue_recommendation": (
        ROUTED_COORDINATOR,
        {S.IN_REVIEW},
        "case.recommendation_issued",
        S.RECOMMENDATION_ISSUED,
    ),
    # The framework is voluntary: a developer may release before the recommendation.
    "release": (DEVELOPER, UNDER_REVIEW, "case.released", S.RELEASED),
    "route_to_nsa": (ROUTED_COORDINATOR, UNDER_REVIEW, "case.routed", None),
}


def take(action, *, actor, case, nsa):
    pk = case.pk
    match action:
        case "update_draft":
            return case_services.update_draft(actor=actor, case_id=pk, model_version="2.1")
        case "submit":
            return case_services.submit_case(actor=actor, case_id=pk)
        case "withdraw":
            return case_services.withdraw_case(
                actor=actor, case_id=pk, reason="Release postponed indefinitely."
            )
        case "start_review":
            return case_services.start_review(actor=actor, case_id=pk)
        case "pause":
            return case_services.pause_for_information(
                actor=actor, case_id=pk, reason="Which evaluation run is final?"
            )
        case "resume":
            return case_services.resume_review(actor=actor, case_id=pk)
        case "extend":
            return case_services.extend_review(
                actor=actor, case_id=pk, days=14, reason="More cyber red-teaming is needed."
            )
        case "issue_recommendation":
            return case_services.mark_recommendation_issued(actor=actor, case_id=pk)
        case "release":
            return case_services.mark_released(
                actor=actor, case_id=pk, released_on=timezone.localdate()
            )
        case "route_to_nsa":
            return case_services.route_case(actor=actor, case_id=pk, agency=nsa)
    raise AssertionError(action)


@pytest.fixture
def people(submitter, org_admin, other_submitter, coordinator, nsa_coordinator, reviewer, operator):
    return {
        "submitter": submitter,
        "org_admin": org_admin,
        "other_submitter": other_submitter,
        "coordinator": coordinator,
        "nsa_coordinator": nsa_coordinator,
        "reviewer": reviewer,
        "operator": operator,
    }


def everything_about(case) -> dict:
    """What a refused action must leave exactly as it was."""
    return {
        "row": Submission.objects.filter(pk=case.pk).values().get(),
        "audit_events": AuditEvent.objects.count(),
        "clock_events": list(ClockEvent.objects.filter(case=case).values_list("kind", "days")),
        "routings": sorted(CaseRouting.objects.filter(case=case).values_list("agency", flat=True)),
        "notifications": Notification.objects.count(),
    }


def last_audit_sequence() -> int:
    last = AuditEvent.objects.order_by("-sequence").first()
    return last.sequence if last else 0


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("action", LIFECYCLE)
@pytest.mark.parametrize("status", list(PATH_TO))
def test_every_transition_is_allowed_or_refused_as_the_lifecycle_says(
    status, action, actor_name, people, case_in, nsa
):
    who_may, from_statuses, audit_action, status_after = LIFECYCLE[action]
    case = case_in(status)
    actor = people[actor_name]
    # Nobody at an agency is on a draft's case: it is routed when submitted.
    actor_may = actor_name in who_may and not (status == S.DRAFT and actor_name in AGENCY_STAFF)
    allowed = actor_may and status in from_statuses
    before = everything_about(case)
    since = last_audit_sequence()

    if allowed:
        take(action, actor=actor, case=case, nsa=nsa)

        case.refresh_from_db()
        assert case.status == (status_after or status)
        # Each routing keeps the case's status and due date for the agencies' queues.
        copies = set(CaseRouting.objects.filter(case=case).values_list("case_status", "review_due"))
        assert copies <= {(case.status, case.review_due)}
        written = AuditEvent.objects.filter(sequence__gt=since, action=audit_action)
        assert [(e.actor, e.target_id) for e in written] == [(actor, str(case.pk))]
        return

    with pytest.raises(CaseActionRefused) as refusal:
        take(action, actor=actor, case=case, nsa=nsa)

    message = refusal.value.message
    if not actor_may:
        assert message.startswith("Only "), message
    else:
        assert S(status).label.lower() in message, message
    assert everything_about(case) == before


# --- Starting a draft ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["submitter", "org_admin"])
def test_developer_staff_start_a_draft_their_organization_can_see_and_change(
    persona, people, developer
):
    actor = people[persona]

    case = case_services.create_draft(actor=actor, **draft_fields(actor))

    assert case.status == S.DRAFT
    assert case.developer == developer
    assert case.number is None
    assert set(get_group_perms(developer.group, case)) == {"view_submission", "change_submission"}
    created = AuditEvent.objects.for_target(case).get(action="case.created")
    assert created.actor == actor


@pytest.mark.parametrize("persona", ["coordinator", "reviewer", "operator"])
def test_nobody_outside_a_developer_starts_a_draft(persona, people, outsider):
    before = (Submission.objects.count(), AuditEvent.objects.count())

    for actor in (people[persona], outsider):
        with pytest.raises(CaseActionRefused, match="Only an AI developer"):
            case_services.create_draft(actor=actor, **draft_fields(people["submitter"]))

    assert (Submission.objects.count(), AuditEvent.objects.count()) == before


def test_the_contact_person_must_belong_to_the_developer(submitter, other_submitter):
    with pytest.raises(ValidationError, match="contact must be a person of the developer"):
        case_services.create_draft(actor=submitter, **draft_fields(other_submitter))

    assert not Submission.objects.exists()


def test_a_draft_cannot_be_created_with_lifecycle_fields(submitter):
    with pytest.raises(ValueError, match="status"):
        case_services.create_draft(actor=submitter, status=S.RELEASED, **draft_fields(submitter))

    assert not Submission.objects.exists()


def test_update_draft_records_which_fields_changed(ready_draft, org_admin):
    case_services.update_draft(
        actor=org_admin, case_id=ready_draft.pk, model_version="2.1", description="Revised."
    )

    ready_draft.refresh_from_db()
    assert (ready_draft.model_version, ready_draft.description) == ("2.1", "Revised.")
    edited = AuditEvent.objects.for_target(ready_draft).get(action="case.edited")
    assert edited.actor == org_admin
    assert edited.details == {"fields": ["description", "model_version"]}


def test_update_draft_after_submit_is_refused_and_changes_nothing(case_in, submitter):
    case = case_in(S.SUBMITTED)
    before = everything_about(case)

    with pytest.raises(CaseActionRefused, match="only while it is a draft"):
        case_services.update_draft(actor=submitter, case_id=case.pk, model_version="2.1")

    assert everything_about(case) == before
    case.refresh_from_db()
    assert case.model_version == "2.0"


# --- Submitting ---------------------------------------------------------------------------


def test_submit_lists_every_missing_field(submitter, coordinator, media_root):
    case = case_services.create_draft(actor=submitter, model_name="Aurora", model_version="2.0")
    upload_artifact(submitter, case)
    before = everything_about(case)

    with pytest.raises(CaseActionRefused) as refusal:
        case_services.submit_case(actor=submitter, case_id=case.pk)

    assert refusal.value.message == (
        "Fill in before submitting: description, planned public release date, "
        "access mode, contact person."
    )
    assert everything_about(case) == before


def test_submit_without_an_artifact_is_refused(make_ready_draft, submitter, coordinator):
    case = make_ready_draft(with_artifact=False)
    before = everything_about(case)

    with pytest.raises(CaseActionRefused, match="Upload at least one artifact"):
        case_services.submit_case(actor=submitter, case_id=case.pk)

    assert everything_about(case) == before


def test_submit_with_a_release_in_the_past_is_refused(make_ready_draft, submitter, coordinator):
    yesterday = timezone.localdate() - timedelta(days=1)
    case = make_ready_draft(planned_release_date=yesterday)
    before = everything_about(case)

    with pytest.raises(CaseActionRefused, match="release date is in the past"):
        case_services.submit_case(
            actor=submitter, case_id=case.pk, short_notice_reason="We are late."
        )

    assert everything_about(case) == before


def test_short_notice_without_a_reason_is_refused(make_ready_draft, submitter, coordinator):
    release = timezone.localdate() + timedelta(days=89)
    case = make_ready_draft(planned_release_date=release)
    before = everything_about(case)

    with pytest.raises(CaseActionRefused) as refusal:
        case_services.submit_case(actor=submitter, case_id=case.pk, short_notice_reason="  ")

    deadline = timezone.localdate() + timedelta(days=90)
    assert refusal.value.message == (
        f"The planned release is before {deadline:%B %-d, %Y}, less than 90 days away: "
        "give a reason for the short notice."
    )
    assert everything_about(case) == before


def test_short_notice_with_a_reason_is_submitted_and_flagged(
    make_ready_draft, submitter, coordinator
):
    case = make_ready_draft(planned_release_date=timezone.localdate() + timedelta(days=89))

    case_services.submit_case(
        actor=submitter, case_id=case.pk, short_notice_reason="  A competitor ships first.  "
    )

    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert case.short_notice is True
    assert case.short_notice_reason == "A competitor ships first."
    submitted = AuditEvent.objects.for_target(case).get(action="case.submitted")
    assert submitted.details["short_notice"] is True


def test_a_release_exactly_the_notice_period_away_is_full_notice(
    make_ready_draft, submitter, coordinator
):
    case = make_ready_draft(planned_release_date=timezone.localdate() + timedelta(days=90))

    case_services.submit_case(
        actor=submitter, case_id=case.pk, short_notice_reason="Not needed, but given."
    )

    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert case.short_notice is False
    assert case.short_notice_reason == ""


def test_submitting_takes_away_the_developers_right_to_change_and_gives_coordinators_view(
    ready_draft, submitter, developer, caisi, nsa, coordinator
):
    case_services.submit_case(actor=submitter, case_id=ready_draft.pk)

    assert set(get_group_perms(developer.group, ready_draft)) == {"view_submission"}
    assert set(get_group_perms(caisi.coordinators_group, ready_draft)) == {"view_submission"}
    assert set(get_group_perms(caisi.group, ready_draft)) == set()
    assert set(get_group_perms(nsa.coordinators_group, ready_draft)) == set()
    revoked = AuditEvent.objects.for_target(ready_draft).filter(action="permission.revoked")
    assert [e.details["permission"] for e in revoked] == ["change_submission"]


# --- Withdrawing --------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(OPEN))
def test_withdrawing_needs_a_reason_in_every_open_status(status, case_in, org_admin):
    case = case_in(status)
    before = everything_about(case)

    for blank in ("", "   \n"):
        with pytest.raises(CaseActionRefused, match="Give a reason for withdrawing"):
            case_services.withdraw_case(actor=org_admin, case_id=case.pk, reason=blank)

    assert everything_about(case) == before


@pytest.mark.parametrize("status", sorted(OPEN))
def test_a_withdrawn_case_keeps_its_reason_and_the_status_it_left(status, case_in, org_admin):
    case = case_in(status)

    case_services.withdraw_case(actor=org_admin, case_id=case.pk, reason=" Model retired. ")

    case.refresh_from_db()
    assert (case.status, case.withdrawn_reason) == (S.WITHDRAWN, "Model retired.")
    withdrawn = AuditEvent.objects.for_target(case).get(action="case.withdrawn")
    assert withdrawn.details == {"from": status, "reason": "Model retired."}


# --- Who sees which case ------------------------------------------------------------------


@pytest.fixture
def three_cases(make_ready_draft, submitter, other_submitter, coordinator, nsa):
    """A Northwind draft, a submitted Northwind case, and a Meridian case sent on to NSA."""
    northwind_draft = make_ready_draft(model_name="Zephyr")
    northwind_submitted = make_ready_draft(model_name="Aurora")
    case_services.submit_case(actor=submitter, case_id=northwind_submitted.pk)
    meridian = make_ready_draft(actor=other_submitter, model_name="Atlas")
    case_services.submit_case(actor=other_submitter, case_id=meridian.pk)
    case_services.route_case(actor=coordinator, case_id=meridian.pk, agency=nsa)
    return northwind_draft, northwind_submitted, meridian


def test_each_person_sees_exactly_their_cases_in_one_query(
    three_cases,
    people,
    platform_admin,
    outsider,
    django_assert_num_queries,
):
    northwind_draft, northwind_submitted, meridian = three_cases
    expected = {
        "submitter": {northwind_draft, northwind_submitted},
        "org_admin": {northwind_draft, northwind_submitted},
        "other_submitter": {meridian},
        "coordinator": {northwind_submitted, meridian},
        # A reviewer sees a case only once assigned to it, not by being at the agency.
        "reviewer": set(),
        "nsa_coordinator": {meridian},
        "operator": set(),
    }
    everyone = {**people, "platform_admin": platform_admin, "outsider": outsider}
    expected |= {"platform_admin": set(), "outsider": set()}
    list(Submission.objects.visible_to(outsider))  # content types are cached once per process

    for name, person in everyone.items():
        with django_assert_num_queries(1):
            seen = list(Submission.objects.visible_to(person))
        assert set(seen) == expected[name], name
        assert len(seen) == len(expected[name]), f"{name} sees a case twice"
