"""The header's unread-messages badge: cached per person, forgotten when a message
is written (for the thread's readers) and when a person reads the thread."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.discussions import services
from portal.discussions.unread import unread_badge
from tests.discussions.conftest import start


def test_the_badge_is_kept_and_forgotten_by_each_write(case, coordinator, lead, nsa_reviewer):
    assert unread_badge(lead) == 0
    with CaptureQueriesContext(connection) as queries:
        assert unread_badge(lead) == 0
    assert len(queries) == 0  # from the cache

    thread = start(case, coordinator, "interagency")
    assert unread_badge(lead) == 1 and unread_badge(nsa_reviewer) == 1

    services.post_message(actor=coordinator, thread_id=thread.pk, body="And another thing.")
    assert unread_badge(lead) == 2

    services.mark_read(reader=lead, thread=thread)
    assert unread_badge(lead) == 0
    assert unread_badge(nsa_reviewer) == 2  # someone else's stays

    services.post_message(actor=nsa_reviewer, thread_id=thread.pk, body="NSA agrees.")
    assert unread_badge(lead) == 1
    assert unread_badge(nsa_reviewer) == 0  # the writer has read their own thread
