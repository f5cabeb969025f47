"""The marking matrix: for each marking, exactly its readers see the thread, its
messages and attachments, count it unread, find it in search and are told of it.

The thread is started by CAISI's coordinator (the agency-only one is CAISI's)
with an attachment; every persona is then held against the same expectation
on every surface.
"""

import pytest
from django.urls import reverse

from portal.discussions.access import agency_on_case
from portal.discussions.models import Message, MessageAttachment, Thread
from portal.discussions.selectors import (
    readers,
    search_threads,
    threads_for_operator,
    unread_message_count,
)
from portal.notifications.models import Notification
from tests.discussions.conftest import READERS, start, streamed, thread_url

MARKINGS = list(READERS)
SECRET = "Quartzite"


@pytest.fixture
def started(request, case, personas, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread = start(
            case,
            coordinator,
            request.param,
            body=f"{SECRET} is the codename.",
            attachments=[streamed(b"the plan")],
        )
    return thread


def threads_on_case_visible(person, thread):
    return Thread.objects.visible_to(person).filter(case=thread.case)


@pytest.mark.parametrize("started", MARKINGS, indirect=True)
def test_only_the_marking_s_readers_see_the_thread_everywhere(
    client, started, personas, mailoutbox
):
    thread = started
    expected = READERS[thread.marking]
    attachment = MessageAttachment.objects.get(message__thread=thread)
    for name, person in personas.items():
        reads = name in expected
        # The one queryset, and the case pages' shortcut to it for agency staff.
        assert Thread.objects.visible_to(person).filter(pk=thread.pk).exists() == reads, name
        for on_case in (None, agency_on_case(person, thread.case)):
            on_the_case = Thread.objects.visible_on_case(
                person, thread.case, agency_on_case=on_case
            )
            assert list(on_the_case) == list(threads_on_case_visible(person, thread)), name
        # Counts: the unread badge (the writer's own message never counts).
        assert unread_message_count(person) == (1 if reads and name != "coordinator" else 0), name
        # Search, by subject and by a word of a message.
        assert search_threads(person, SECRET).filter(pk=thread.pk).exists() == reads, name
        # Notifications and emails: the readers, not the writer.
        told = Notification.objects.filter(recipient=person, url=thread_url(thread)).exists()
        assert told == (reads and name != "coordinator"), name
        assert any(person.email in m.to for m in mailoutbox) == told, name
        # Pages: the thread, its attachment, the list of one's threads.
        client.force_login(person)
        page = client.get(thread_url(thread))
        assert page.status_code == (200 if reads else 404), name
        download = client.get(
            reverse("discussions:attachment_download", args=[thread.pk, attachment.pk])
        )
        assert download.status_code == (200 if reads else 404), name
        if person.role:
            inbox = client.get(reverse("discussions:inbox"))
            assert (thread.subject in inbox.content.decode()) == reads, name
            found = client.get(reverse("reviews:search"), {"q": SECRET})
            assert (thread.subject in found.content.decode()) == reads, name
    # The list of people to tell is exactly the readers.
    names = {p.pk: n for n, p in personas.items()}
    assert {names[p.pk] for p in readers(thread) if p.pk in names} == expected


@pytest.mark.parametrize("started", ["operator"], indirect=True)
def test_the_operator_s_threads_on_its_grant(started, case, operator, other_operator):
    assert list(threads_for_operator(operator, case)) == [started]
    assert not threads_for_operator(other_operator, case).exists()


@pytest.mark.parametrize("started", ["developer", "operator"], indirect=True)
def test_outside_the_government_the_agency_signs_not_the_person(
    client, started, submitter, operator, coordinator
):
    outsider = submitter if started.marking == "developer" else operator
    client.force_login(outsider)

    page = client.get(thread_url(started)).content.decode()

    assert "CAISI" in page
    assert coordinator.display_name() not in page
    assert coordinator.username not in page
    note = Notification.objects.get(recipient=outsider, url=thread_url(started))
    assert coordinator.display_name() not in note.title + note.body
    assert "From CAISI" in note.body


@pytest.mark.parametrize("started", ["agency_only"], indirect=True)
def test_the_message_text_stays_in_the_portal(started, mailoutbox):
    assert mailoutbox
    assert all(SECRET not in m.body for m in mailoutbox)
    assert Message.objects.filter(thread=started).count() == 1


def test_an_agency_that_sees_the_case_but_is_not_routed_reads_no_thread(case, coordinator):
    """A monitoring agency (ONCD) sees submitted cases' scores, never their discussions."""
    from portal.accounts.models import Agency
    from portal.accounts.permissions import grant
    from portal.cases.access import VIEW_CASE
    from tests.conftest import Role, make_person

    oncd = Agency.objects.create(name="ONCD", acronym="ONCD", slug="oncd")
    monitor = make_person("oncd_coordinator", unit=oncd, role=Role.COORDINATOR)
    grant(VIEW_CASE, oncd.group, case)
    for marking in MARKINGS:
        start(case, coordinator, marking)

    assert not Thread.objects.visible_to(monitor).exists()
    assert unread_message_count(monitor) == 0
