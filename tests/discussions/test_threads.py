"""Replies, read state and the unread badge, refusals, bad input and query counts."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.discussions import services
from portal.discussions.models import Message, MessageAttachment, ReadState, Thread
from portal.discussions.selectors import unread_message_count
from tests.discussions.conftest import reply_url, start, start_url, thread_url


def named_file(name: str, content: bytes):
    file = io.BytesIO(content)
    file.name = name
    return file


def stored_files(media):
    return sorted(path for path in media.rglob("*") if path.is_file())


def test_reading_a_thread_clears_its_unread_count_for_that_person_only(
    client, case, coordinator, lead, nsa_reviewer
):
    thread = start(case, coordinator, "interagency")
    services.post_message(actor=coordinator, thread_id=thread.pk, body="And another thing.")
    assert unread_message_count(lead) == 2
    assert unread_message_count(nsa_reviewer) == 2

    client.force_login(lead)
    response = client.get(thread_url(thread))

    assert response.status_code == 200
    assert unread_message_count(lead) == 0
    assert unread_message_count(nsa_reviewer) == 2
    services.post_message(actor=nsa_reviewer, thread_id=thread.pk, body="NSA agrees.")
    assert unread_message_count(lead) == 1
    assert unread_message_count(nsa_reviewer) == 0  # their own message


def test_the_header_shows_the_unread_count_in_one_query(client, case, coordinator, lead):
    start(case, coordinator, "agency_only")
    client.force_login(lead)
    response = client.get(reverse("discussions:inbox"))
    assert "Discussions (1)" in response.content.decode()

    from portal.discussions.selectors import unread_message_count as badge

    with CaptureQueriesContext(connection) as queries:
        assert badge(lead) == 1
    assert len(queries) == 1


def test_a_reply_is_stored_audited_and_shown(client, case, coordinator, submitter, media):
    thread = start(case, coordinator, "developer")
    client.force_login(submitter)

    response = client.post(
        reply_url(thread),
        {"reply-body": "Version 4.2.", "reply-attachments": [named_file("card.md", b"# card")]},
    )

    message = Message.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{message.pk}")
    assert (message.author, message.organization, message.agency) == (
        submitter,
        submitter.membership.organization,
        None,
    )
    assert message.attachments.get().original_name == "card.md"
    assert AuditEvent.objects.filter(action="message.posted").exists()
    download = client.get(
        reverse("discussions:attachment_download", args=[thread.pk, message.attachments.get().pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"# card"


@pytest.mark.parametrize(
    "name", ["caisi_bystander", "other_submitter", "operator", "other_operator", "platform_admin"]
)
def test_a_message_to_a_thread_you_cannot_see_is_404_and_changes_nothing(
    client, case, coordinator, personas, name
):
    thread = start(case, coordinator, "developer")
    client.force_login(personas[name])
    before = (Message.objects.count(), AuditEvent.objects.count())

    response = client.post(reply_url(thread), {"reply-body": "Let me in."})

    assert response.status_code == 404
    assert (Message.objects.count(), AuditEvent.objects.count()) == before


def test_another_agency_s_agency_only_thread_is_404(client, case, coordinator, nsa_coordinator):
    thread = start(case, coordinator, "agency_only")
    client.force_login(nsa_coordinator)
    assert client.get(thread_url(thread)).status_code == 404
    assert client.post(reply_url(thread), {"reply-body": "Hi"}).status_code == 404
    with pytest.raises(services.DiscussionRefused):
        services.post_message(actor=nsa_coordinator, thread_id=thread.pk, body="Hi")
    assert thread.messages.count() == 1


def test_an_empty_message_is_refused(client, case, coordinator, lead):
    thread = start(case, coordinator, "interagency")
    client.force_login(lead)
    before = (Message.objects.count(), AuditEvent.objects.count())

    response = client.post(reply_url(thread), {"reply-body": "   "})

    assert response.status_code == 400
    assert "Write the message first." in response.content.decode()
    assert (Message.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(services.DiscussionRefused, match="Write the message first"):
        services.post_message(actor=lead, thread_id=thread.pk, body="  ")


def test_an_empty_thread_is_refused(client, case, coordinator):
    client.force_login(coordinator)
    response = client.post(
        start_url(case),
        {"thread-subject": "", "thread-marking": "interagency", "thread-body": ""},
    )
    assert response.status_code == 400
    assert "Give the thread a subject." in response.content.decode()
    assert not Thread.objects.exists()


def test_an_oversize_attachment_leaves_no_row_and_no_file(
    client, case, coordinator, lead, media, settings
):
    thread = start(case, coordinator, "interagency")
    settings.DISCUSSION_ATTACHMENT_MAX_BYTES = 10
    client.force_login(lead)
    before = (Message.objects.count(), MessageAttachment.objects.count())
    files_before = stored_files(media)

    response = client.post(
        reply_url(thread),
        {"reply-body": "See attached.", "reply-attachments": [named_file("big.bin", b"x" * 11)]},
    )

    assert response.status_code == 400
    assert "larger than the maximum" in response.content.decode()
    assert (Message.objects.count(), MessageAttachment.objects.count()) == before
    assert stored_files(media) == files_before


def test_a_refused_thread_with_an_attachment_leaves_no_file(client, case, lead, media):
    client.force_login(lead)
    files_before = stored_files(media)

    response = client.post(
        start_url(case),
        {
            "thread-subject": "To the developer",
            "thread-marking": "developer",
            "thread-body": "Hello",
            "thread-attachments": [named_file("plan.txt", b"plan")],
        },
    )

    assert response.status_code == 400
    assert not MessageAttachment.objects.exists()
    assert stored_files(media) == files_before


def count_queries(client, url) -> int:
    client.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["inbox", "case", "workspace", "thread"])
def test_the_thread_list_and_a_thread_page_cost_the_same_queries_with_more_rows(
    client, case, coordinator, lead, nsa_reviewer, media, page
):
    thread = start(case, coordinator, "interagency")
    other = start(case, coordinator, "agency_only")
    urls = {
        "inbox": reverse("discussions:inbox"),
        "case": reverse("discussions:case_threads", args=[case.pk]),
        "workspace": reverse("reviews:case_discussion", args=[case.pk]),
        "thread": thread_url(thread),
    }
    client.force_login(lead)
    count_queries(client, urls[page])  # warm caches
    small = count_queries(client, urls[page])

    for number in range(8):
        services.post_message(
            actor=nsa_reviewer if number % 2 else coordinator,
            thread_id=thread.pk,
            body=f"Message {number}",
            attachments=[],
        )
        start(case, coordinator, "interagency")
        services.post_message(actor=coordinator, thread_id=other.pk, body=f"Note {number}")
    from tests.discussions.conftest import streamed

    services.post_message(
        actor=coordinator,
        thread_id=thread.pk,
        body="With files",
        attachments=[streamed(b"a", "a.txt"), streamed(b"b", "b.txt")],
    )
    count_queries(client, urls[page])  # the read state now exists: an update, not an insert
    assert count_queries(client, urls[page]) == small


def test_read_state_is_one_row_per_person_and_thread(client, case, coordinator, lead):
    thread = start(case, coordinator, "interagency")
    client.force_login(lead)
    client.get(thread_url(thread))
    client.get(thread_url(thread))
    assert ReadState.objects.filter(user=lead, thread=thread).count() == 1


def test_the_case_pages_discussion_section_shows_the_panel_and_the_workspace_its_own(
    client, case, coordinator, submitter, lead
):
    developer_thread = start(case, coordinator, "developer")
    agency_thread = start(case, coordinator, "agency_only")

    client.force_login(submitter)
    page = client.get(reverse("portal:case_section", args=[case.pk, "discussion"]))
    panel = dict(page.context["panels"])["discussions/case_panel.html"]
    assert [t.pk for t in panel["threads"]] == [developer_thread.pk]
    assert panel["all_url"] == reverse("discussions:case_threads", args=[case.pk])
    assert agency_thread.subject not in page.content.decode()
    overview = client.get(reverse("portal:case_detail", args=[case.pk]))
    assert overview.context["panels"] == []

    # Agency staff reading the developer's page are sent to the workspace's section.
    client.force_login(lead)
    page = client.get(reverse("portal:case_section", args=[case.pk, "discussion"]))
    panel = dict(page.context["panels"])["discussions/case_panel.html"]
    assert {t.pk for t in panel["threads"]} == {developer_thread.pk, agency_thread.pk}
    assert panel["all_url"] == reverse("reviews:case_discussion", args=[case.pk])
    # The workspace's overview carries no discussion: it has a section of its own.
    overview = client.get(reverse("reviews:workspace", args=[case.pk]))
    assert overview.context["panels"] == []
    assert "Add note" not in overview.content.decode()
