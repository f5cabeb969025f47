"""The lead agency and the participants: who drafts, who issues, positions, the deadline,
amendments — and every way a person on the wrong side is refused, with nothing changed.

CAISI leads (the first agency the case was routed to); NSA participates.
"""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused
from reviews.models import AgencyPosition, PositionAmendment, Recommendation
from reviews.selectors import operator_recommendation
from reviews.services import positions as position_services
from reviews.services.base import ReviewActionRefused
from tests.reviews.fixtures_positions import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_positions import (
    CONDITIONS,
    DISSENT,
    FOR_OPERATORS,
    amendment_form,
    draft,
    issue,
    position_form,
    recommendation_url,
    record,
    set_deadline,
)
from tests.reviews.fixtures_requests import (
    accept,
    actions,
    messages_of,
    notified,
    submit_case,
    workspace_url,
)


def snapshot(case) -> tuple:
    """What a refused action must leave as it was."""
    case.refresh_from_db()
    return (
        case.status,
        case.lead_agency_id,
        AuditEvent.objects.count(),
        list(
            Recommendation.objects.values_list(
                "outcome", "summary", "issued_at", "response_deadline"
            )
        ),
        list(AgencyPosition.objects.values_list("agency_id", "stance", "text", "marking")),
        PositionAmendment.objects.count(),
    )


# --- the lead ------------------------------------------------------------------------------


def test_the_first_routed_agency_leads(submitter, caisi, media):
    case = submit_case(submitter)

    assert case.lead_agency == caisi


def test_routing_to_another_agency_keeps_the_lead(joint_case, caisi, nsa):
    assert joint_case.lead_agency == caisi
    assert set(joint_case.routed_agencies.all()) == {caisi, nsa}


def test_the_lead_hands_the_lead_on(
    client, joint_case, coordinator, nsa, nsa_coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:lead_hand_over", args=[joint_case.pk]),
            {"lead-agency": nsa.pk, "lead-reason": "NSA holds the cyber expertise."},
            follow=True,
        )

    assert "NSA now leads the review. Its coordinators have been told." in messages_of(response)
    joint_case.refresh_from_db()
    assert joint_case.lead_agency == nsa
    event = AuditEvent.objects.for_target(joint_case).get(action="case.lead_handed_over")
    assert event.details == {
        "from": "CAISI",
        "to": "NSA",
        "reason": "NSA holds the cyber expertise.",
    }
    assert notified(nsa_coordinator, "NSA now leads the review")
    assert not notified(coordinator, "now leads")


def test_the_new_lead_s_position_is_set_aside(
    drafted_joint_case, coordinator, nsa, nsa_coordinator
):
    record(nsa_coordinator, drafted_joint_case)

    position_services.hand_over_lead(actor=coordinator, case_id=drafted_joint_case.pk, agency=nsa)

    assert not AgencyPosition.objects.exists()
    # CAISI is now a participant: it records a position, NSA issues.
    record(coordinator, drafted_joint_case, stance="concur", text="")
    assert AgencyPosition.objects.get().agency.acronym == "CAISI"


@pytest.mark.parametrize(
    ("persona", "agency", "message"),
    [
        ("nsa_coordinator", "nsa", "Only a coordinator of the lead agency can hand the lead on."),
        ("coordinator", "caisi", "CAISI already leads the review."),
    ],
)
def test_handing_the_lead_is_refused(request, joint_case, persona, agency, message):
    before = snapshot(joint_case)

    with pytest.raises(CaseActionRefused, match=message):
        case_services.hand_over_lead(
            actor=request.getfixturevalue(persona),
            case_id=joint_case.pk,
            agency=request.getfixturevalue(agency),
        )
    assert snapshot(joint_case) == before


def test_the_lead_goes_only_to_a_routed_agency(case_in_review, coordinator, nsa):
    before = snapshot(case_in_review)

    with pytest.raises(CaseActionRefused, match="not routed to"):
        case_services.hand_over_lead(actor=coordinator, case_id=case_in_review.pk, agency=nsa)
    assert snapshot(case_in_review) == before


def test_the_lead_stays_once_issued(drafted_joint_case, coordinator, nsa, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case)
    issue(coordinator, drafted_joint_case)
    before = snapshot(drafted_joint_case)

    with pytest.raises(CaseActionRefused, match="only while the review is under way"):
        case_services.hand_over_lead(actor=coordinator, case_id=drafted_joint_case.pk, agency=nsa)
    assert snapshot(drafted_joint_case) == before


def test_the_hand_over_form_answers_a_participant_with_403(
    client, joint_case, nsa, nsa_coordinator
):
    client.force_login(nsa_coordinator)
    before = snapshot(joint_case)

    response = client.post(
        reverse("reviews:lead_hand_over", args=[joint_case.pk]), {"lead-agency": nsa.pk}
    )

    assert response.status_code == 403
    assert snapshot(joint_case) == before


def test_the_overview_offers_the_hand_over_to_the_lead_s_coordinator_only(
    client, joint_case, coordinator, nsa_coordinator
):
    url = reverse("reviews:lead_hand_over", args=[joint_case.pk])
    client.force_login(coordinator)
    assert url in client.get(workspace_url(joint_case)).content.decode()
    client.force_login(nsa_coordinator)
    assert url not in client.get(workspace_url(joint_case)).content.decode()


# --- drafting and issuing: the lead's ------------------------------------------------------


def test_a_participant_s_coordinator_cannot_edit_the_lead_s_draft(
    client, drafted_joint_case, nsa_coordinator
):
    client.force_login(nsa_coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:recommendation_draft", args=[drafted_joint_case.pk]),
        {"recommendation-outcome": "delay", "recommendation-summary": "NSA's own text."},
    )

    assert response.status_code == 403
    assert snapshot(drafted_joint_case) == before


def test_a_participant_s_coordinator_cannot_issue(client, drafted_joint_case, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case)
    client.force_login(nsa_coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:recommendation_issue", args=[drafted_joint_case.pk]), {"understood": "on"}
    )

    assert response.status_code == 403
    assert snapshot(drafted_joint_case) == before


def test_the_services_refuse_a_participant_too(drafted_joint_case, nsa_coordinator):
    before = snapshot(drafted_joint_case)

    with pytest.raises(ReviewActionRefused, match="lead reviewer or coordinator can draft"):
        draft(nsa_coordinator, drafted_joint_case, summary="NSA's own text.")
    with pytest.raises(ReviewActionRefused, match="Only a coordinator of the lead agency"):
        issue(nsa_coordinator, drafted_joint_case)
    assert snapshot(drafted_joint_case) == before


def test_a_participant_s_lead_reviewer_cannot_draft(
    drafted_joint_case, nsa_coordinator, nsa_reviewer
):
    from reviews.models import Assignment

    accept(nsa_coordinator, nsa_reviewer, drafted_joint_case, role=Assignment.Role.LEAD)
    before = snapshot(drafted_joint_case)

    with pytest.raises(ReviewActionRefused, match="lead reviewer or coordinator can draft"):
        draft(nsa_reviewer, drafted_joint_case, summary="NSA's own text.")
    assert snapshot(drafted_joint_case) == before


def test_the_participant_sees_the_draft_without_its_forms(
    client, drafted_joint_case, nsa_coordinator
):
    client.force_login(nsa_coordinator)

    page = client.get(recommendation_url(drafted_joint_case)).content.decode()

    assert FOR_OPERATORS in page
    for name, offered in [
        ("recommendation_draft", False),
        ("recommendation_issue", False),
        ("recommendation_deadline", False),
        ("position_record", True),
    ]:
        action = f'action="{reverse(f"reviews:{name}", args=[drafted_joint_case.pk])}"'
        assert (action in page) is offered, name


def test_issuing_waits_for_every_participant(client, drafted_joint_case, coordinator):
    client.force_login(coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:recommendation_issue", args=[drafted_joint_case.pk]),
        {"understood": "on"},
        follow=True,
    )

    assert messages_of(response) == [
        "Waiting for the position of NSA. The recommendation can be issued once every "
        "participating agency has recorded a position, or after a response deadline you set "
        "has passed."
    ]
    assert snapshot(drafted_joint_case) == before


def test_issuing_before_the_deadline_names_it(drafted_joint_case, coordinator):
    recommendation = set_deadline(coordinator, drafted_joint_case, days=5)
    before = snapshot(drafted_joint_case)

    with pytest.raises(ReviewActionRefused) as refused:
        issue(coordinator, drafted_joint_case)
    assert f"{recommendation.response_deadline:%B %-d, %Y}" in refused.value.message
    assert snapshot(drafted_joint_case) == before


def test_issuing_after_every_position(
    drafted_joint_case, coordinator, nsa_coordinator, submitter, django_capture_on_commit_callbacks
):
    record(nsa_coordinator, drafted_joint_case)

    with django_capture_on_commit_callbacks(execute=True):
        recommendation = issue(coordinator, drafted_joint_case)

    assert recommendation.is_issued
    drafted_joint_case.refresh_from_db()
    assert drafted_joint_case.status == CaseStatus.RECOMMENDATION_ISSUED
    assert notified(nsa_coordinator, "Recommendation issued")
    assert notified(submitter, "Recommendation issued")


def test_after_the_deadline_a_silent_agency_is_recorded_as_no_response(
    drafted_joint_case, coordinator, nsa, frozen
):
    set_deadline(coordinator, drafted_joint_case, days=3)
    frozen.advance(days=4)

    issue(coordinator, drafted_joint_case)

    position = AgencyPosition.objects.get()
    assert (position.agency, position.stance, position.recorded_by) == (nsa, "no_response", None)
    event = AuditEvent.objects.for_target(drafted_joint_case).get(action="position.no_response")
    assert event.details["agency"] == "NSA"
    issued = AuditEvent.objects.for_target(drafted_joint_case).get(action="recommendation.issued")
    assert issued.details["no_response"] == ["NSA"]


def test_on_the_deadline_day_the_lead_still_waits(drafted_joint_case, coordinator, frozen):
    set_deadline(coordinator, drafted_joint_case, days=3)
    frozen.advance(days=3)

    with pytest.raises(ReviewActionRefused, match="Waiting for the position of NSA"):
        issue(coordinator, drafted_joint_case)


def test_a_case_with_one_agency_issues_as_before(case_in_review, lead, coordinator):
    draft(lead, case_in_review)

    assert issue(coordinator, case_in_review).is_issued


# --- the deadline --------------------------------------------------------------------------


def test_the_lead_sets_the_deadline_and_the_participants_are_told(
    client, drafted_joint_case, coordinator, nsa_coordinator
):
    client.force_login(coordinator)

    response = client.post(
        reverse("reviews:recommendation_deadline", args=[drafted_joint_case.pk]),
        {"deadline-response_deadline": "2099-01-15"},
        follow=True,
    )

    assert "Positions are due January 15, 2099." in messages_of(response)[0]
    assert str(Recommendation.objects.get().response_deadline) == "2099-01-15"
    assert notified(nsa_coordinator, "position on")
    assert actions(drafted_joint_case)[-1] == "recommendation.deadline_set"


@pytest.mark.parametrize("value", ["", "not a date", "2001-01-01"])
def test_a_bad_deadline_changes_nothing(client, drafted_joint_case, coordinator, value):
    client.force_login(coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:recommendation_deadline", args=[drafted_joint_case.pk]),
        {"deadline-response_deadline": value},
        follow=True,
    )

    assert messages_of(response)
    assert snapshot(drafted_joint_case) == before


def test_a_participant_cannot_set_the_deadline(client, drafted_joint_case, nsa_coordinator):
    client.force_login(nsa_coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:recommendation_deadline", args=[drafted_joint_case.pk]),
        {"deadline-response_deadline": "2099-01-15"},
    )

    assert response.status_code == 403
    assert snapshot(drafted_joint_case) == before


# --- positions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stance", "text", "label"),
    [
        ("concur", "", "concur"),
        ("conditions", CONDITIONS, "concur with conditions"),
        ("dissent", DISSENT, "dissent"),
    ],
)
def test_the_participant_records_its_position(
    client, drafted_joint_case, nsa_coordinator, coordinator, stance, text, label
):
    client.force_login(nsa_coordinator)

    response = client.post(
        reverse("reviews:position_record", args=[drafted_joint_case.pk]),
        position_form(stance=stance, text=text, marking="developer"),
        follow=True,
    )

    assert f"Your agency's position is recorded: {label}." in messages_of(response)
    position = AgencyPosition.objects.get()
    assert (position.agency.acronym, position.stance, position.text, position.marking) == (
        "NSA",
        stance,
        text,
        "developer",
    )
    assert position.recorded_by == nsa_coordinator
    assert actions(drafted_joint_case)[-1] == "position.recorded"
    assert notified(coordinator, f"NSA: {label}")


def test_recording_again_before_issue_replaces_the_position(drafted_joint_case, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case)
    record(nsa_coordinator, drafted_joint_case, stance="concur", text="")

    assert list(AgencyPosition.objects.values_list("stance", flat=True)) == ["concur"]
    assert not PositionAmendment.objects.exists()


@pytest.mark.parametrize(
    ("stance", "message"),
    [
        ("conditions", "Write the conditions your agency concurs with."),
        ("dissent", "Write why your agency dissents."),
    ],
)
def test_a_position_without_its_text_changes_nothing(
    client, drafted_joint_case, nsa_coordinator, stance, message
):
    client.force_login(nsa_coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:position_record", args=[drafted_joint_case.pk]),
        position_form(stance=stance, text="   "),
        follow=True,
    )

    assert messages_of(response) == [message]
    assert snapshot(drafted_joint_case) == before


@pytest.mark.parametrize(
    "form",
    [
        position_form(stance="no_response"),
        position_form(stance="veto"),
        position_form(marking="operators"),
        {},
    ],
)
def test_a_malformed_position_changes_nothing(client, drafted_joint_case, nsa_coordinator, form):
    client.force_login(nsa_coordinator)
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:position_record", args=[drafted_joint_case.pk]), form, follow=True
    )

    assert response.status_code == 200
    assert messages_of(response)
    assert snapshot(drafted_joint_case) == before


def test_no_position_before_a_draft(joint_case, nsa_coordinator):
    before = snapshot(joint_case)

    with pytest.raises(ReviewActionRefused, match="has not drafted the recommendation yet"):
        record(nsa_coordinator, joint_case)
    assert snapshot(joint_case) == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 403),  # the lead's coordinator: the lead holds no position
        ("lead", 403),  # a reviewer: a coordinator's page
        ("nsa_reviewer", 403),
        ("submitter", 403),
        ("operator", 403),
        ("outsider", 403),
    ],
)
def test_only_a_participant_s_coordinator_records_a_position(
    client, request, drafted_joint_case, persona, status
):
    client.force_login(request.getfixturevalue(persona))
    before = snapshot(drafted_joint_case)

    response = client.post(
        reverse("reviews:position_record", args=[drafted_joint_case.pk]), position_form()
    )

    assert response.status_code == status
    assert snapshot(drafted_joint_case) == before


def test_a_coordinator_of_an_agency_not_routed_gets_404(client, drafted_joint_case, media):
    from portal.accounts.models import Agency
    from tests.conftest import Role, make_person

    oncd = Agency.objects.create(name="Office of the National Cyber Director", acronym="ONCD")
    client.force_login(make_person("oncd_coordinator", unit=oncd, role=Role.COORDINATOR))
    before = snapshot(drafted_joint_case)

    for name in ("position_record", "position_amend", "lead_hand_over", "recommendation_deadline"):
        response = client.post(reverse(f"reviews:{name}", args=[drafted_joint_case.pk]), {})
        assert response.status_code == 404, name
    assert snapshot(drafted_joint_case) == before


def test_the_service_refuses_the_lead_s_own_position(drafted_joint_case, coordinator):
    with pytest.raises(ReviewActionRefused, match="Your agency leads this review"):
        record(coordinator, drafted_joint_case)
    assert not AgencyPosition.objects.exists()


# --- after issue: amendments ----------------------------------------------------------------


@pytest.fixture
def issued_joint_case(drafted_joint_case, coordinator, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case, marking="developer")
    issue(coordinator, drafted_joint_case)
    return drafted_joint_case


def test_positions_do_not_change_after_issue(issued_joint_case, nsa_coordinator):
    before = snapshot(issued_joint_case)

    with pytest.raises(ReviewActionRefused, match="a change to your position is an amendment"):
        record(nsa_coordinator, issued_joint_case, stance="dissent", text=DISSENT)
    assert snapshot(issued_joint_case) == before


def test_an_amendment_keeps_what_was_there_and_tells_everyone_who_read_it(
    client,
    issued_joint_case,
    nsa_coordinator,
    coordinator,
    submitter,
    django_capture_on_commit_callbacks,
):
    client.force_login(nsa_coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:position_amend", args=[issued_joint_case.pk]),
            amendment_form(marking="developer", reason="The autonomy run failed."),
            follow=True,
        )

    assert "Your agency's position is amended." in messages_of(response)[0]
    position = AgencyPosition.objects.get()
    assert (position.stance, position.text) == ("dissent", DISSENT)
    amendment = position.amendments.get()
    assert (amendment.stance_before, amendment.text_before, amendment.reason) == (
        "conditions",
        CONDITIONS,
        "The autonomy run failed.",
    )
    event = AuditEvent.objects.for_target(issued_joint_case).filter(action="position.amended")
    assert event.get().details["reason"] == "The autonomy run failed."
    assert notified(coordinator, "NSA amended its position")
    assert notified(submitter, "NSA amended its position")


def test_an_interagency_amendment_is_not_told_to_the_developer(
    drafted_joint_case, coordinator, nsa_coordinator, submitter
):
    record(nsa_coordinator, drafted_joint_case)  # interagency
    issue(coordinator, drafted_joint_case)

    position_services.amend_position(
        actor=nsa_coordinator,
        case_id=drafted_joint_case.pk,
        stance="dissent",
        text=DISSENT,
        marking="interagency",
        reason="New tests.",
    )

    assert notified(coordinator, "amended")
    assert not notified(submitter, "amended")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (amendment_form(reason="  "), "Reason for the amendment: This field is required."),
        (amendment_form(text=""), "Write why your agency dissents."),
        (
            amendment_form(marking="interagency"),
            "The position was shared with the developer, who has read it",
        ),
    ],
)
def test_a_bad_amendment_changes_nothing(client, issued_joint_case, nsa_coordinator, form, message):
    client.force_login(nsa_coordinator)
    before = snapshot(issued_joint_case)

    response = client.post(
        reverse("reviews:position_amend", args=[issued_joint_case.pk]), form, follow=True
    )

    assert messages_of(response)[0].startswith(message)
    assert snapshot(issued_joint_case) == before


def test_no_amendment_before_issue(drafted_joint_case, nsa_coordinator):
    record(nsa_coordinator, drafted_joint_case)
    before = snapshot(drafted_joint_case)

    with pytest.raises(ReviewActionRefused, match="not issued yet"):
        position_services.amend_position(
            actor=nsa_coordinator,
            case_id=drafted_joint_case.pk,
            stance="dissent",
            text=DISSENT,
            marking="interagency",
            reason="Changed our mind.",
        )
    assert snapshot(drafted_joint_case) == before


def test_a_silent_agency_may_still_speak_after_issue(
    drafted_joint_case, coordinator, nsa_coordinator, frozen
):
    set_deadline(coordinator, drafted_joint_case, days=1)
    frozen.advance(days=2)
    issue(coordinator, drafted_joint_case)

    position = position_services.amend_position(
        actor=nsa_coordinator,
        case_id=drafted_joint_case.pk,
        stance="concur",
        text="",
        marking="developer",
        reason="Our review ended late.",
    )

    assert position.stance == "concur"
    assert position.amendments.get().stance_before == "no_response"


def test_after_issue_the_participant_is_told_what_it_can_still_do(
    client, issued_joint_case, nsa_coordinator
):
    client.force_login(nsa_coordinator)

    overview = client.get(workspace_url(issued_joint_case)).content.decode()
    section = client.get(recommendation_url(issued_joint_case)).content.decode()

    assert "can still amend its position" in overview
    assert reverse("reviews:position_amend", args=[issued_joint_case.pk]) in section


# --- the operators' part -------------------------------------------------------------------


def test_the_operators_part_shows_only_once_issued(
    drafted_joint_case, coordinator, nsa_coordinator
):
    assert operator_recommendation(drafted_joint_case) is None
    record(nsa_coordinator, drafted_joint_case)
    issue(coordinator, drafted_joint_case)

    part = operator_recommendation(drafted_joint_case)

    assert part is not None
    assert (part.text, part.agency, part.outcome) == (
        FOR_OPERATORS,
        "CAISI",
        "Concerns with mitigations",
    )


def test_no_operators_part_when_none_was_written(case_in_review, lead, coordinator):
    draft(lead, case_in_review, for_operators="")
    issue(coordinator, case_in_review)

    assert operator_recommendation(case_in_review) is None


# --- data migration ------------------------------------------------------------------------


def test_the_migration_makes_the_first_routing_the_lead(joint_case, caisi):
    """Existing cases get the agency they were routed to first (cases 0005)."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("portal.cases.migrations.0006_case_lead_agency")
    Submission.objects.update(lead_agency=None)

    with connection.cursor() as cursor:
        cursor.execute(migration.FIRST_ROUTING)

    joint_case.refresh_from_db()
    assert joint_case.lead_agency == caisi
