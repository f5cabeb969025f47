"""Notes: discussion among the government reviewers of a case, never shown to the developer."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from reviews.models import Assignment, Note
from reviews.services import assignments as assignment_services
from reviews.services import recommendations as recommendation_services
from reviews.services.base import ReviewActionRefused
from tests.conftest import Role, make_person
from tests.reviews.fixtures_requests import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_requests import (
    accept,
    actions,
    case_url,
    has_review_panel,
    mails_to,
    messages_of,
    notified,
    review_panel,
    workspace_url,
)

SECRET = "Their red-team lead sounded unsure about the bio evals."


def add_note(client, case, body=SECRET, **extra):
    return client.post(reverse("reviews:note_add", args=[case.pk]), {"note-body": body}, **extra)


def test_the_lead_adds_a_note_and_the_agency_staff_are_told(
    client,
    lead,
    coordinator,
    submitter,
    case_in_review,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = add_note(client, case_in_review, follow=True)

    assert "Note added." in messages_of(response)
    note = Note.objects.get()
    assert (note.case, note.author, note.agency.acronym, note.body) == (
        case_in_review,
        lead,
        "CAISI",
        SECRET,
    )
    assert actions(case_in_review)[-1] == "note.added"
    assert SECRET in response.content.decode()
    assert notified(coordinator, "added a note")
    assert mails_to(coordinator)
    assert SECRET not in mails_to(coordinator)[0].body
    assert not notified(lead, "added a note")
    assert not notified(submitter, "note")
    assert not mails_to(submitter)


def test_the_coordinator_and_an_observer_add_notes_too(
    client, coordinator, observer, case_in_review
):
    accept(coordinator, observer, case_in_review, role=Assignment.Role.OBSERVER)
    for person in (coordinator, observer):
        client.force_login(person)
        add_note(client, case_in_review, body=f"From {person.username}")

    assert sorted(Note.objects.values_list("body", flat=True)) == [
        "From coordinator",
        "From observer",
    ]


def test_an_empty_note_is_refused(client, lead, case_in_review):
    client.force_login(lead)
    before = AuditEvent.objects.count()

    response = add_note(client, case_in_review, body="   ", follow=True)

    assert "Note: This field is required." in messages_of(response)
    assert not Note.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "persona",
    ["nsa_coordinator", "submitter", "org_admin", "other_submitter", "operator", "outsider"],
)
def test_people_who_cannot_see_the_case_get_404_for_notes(client, persona, request, case_in_review):
    client.force_login(request.getfixturevalue(persona))

    response = add_note(client, case_in_review)

    assert response.status_code == 404
    assert not Note.objects.exists()


def test_an_invited_reviewer_who_has_not_accepted_gets_404(
    client, coordinator, caisi, case_in_review
):
    invited = make_person("invited", unit=caisi, role=Role.REVIEWER)
    assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case_in_review.pk,
        reviewer=invited,
        role=Assignment.Role.REVIEWER,
        due_date=case_in_review.review_due,
    )
    client.force_login(invited)

    assert add_note(client, case_in_review).status_code == 404
    assert not Note.objects.exists()


def test_the_service_refuses_the_developer(submitter, case_in_review):
    with pytest.raises(ReviewActionRefused):
        recommendation_services.add_note(actor=submitter, case_id=case_in_review.pk, body=SECRET)
    assert not Note.objects.exists()


def test_the_developer_never_sees_notes(client, lead, submitter, case_in_review):
    recommendation_services.add_note(actor=lead, case_id=case_in_review.pk, body=SECRET)
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    assert response.status_code == 200
    assert has_review_panel(response)
    page = response.content.decode()
    assert SECRET not in page
    assert "added a note" not in page
    assert "notes" not in review_panel(response)
    assert all(not e.action.startswith("note.") for e in response.context["timeline"])
    assert client.get(workspace_url(case_in_review)).status_code == 404
