"""Discussion emails follow each person's choice: at once, or in the daily digest
(the preference on the notifications page), and the digest carries each message once."""

from django.core import mail

from portal.accounts.models import User
from portal.discussions import services
from portal.notifications.delivery import send_daily_digests
from portal.notifications.models import Notification
from tests.discussions.conftest import start


def test_a_digest_reader_gets_discussion_news_once_in_the_digest(
    case, coordinator, lead, nsa_reviewer, django_capture_on_commit_callbacks
):
    lead.email_delivery = User.EmailDelivery.DAILY_DIGEST
    lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        thread = start(case, coordinator, "interagency")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(actor=nsa_reviewer, thread_id=thread.pk, body="NSA agrees.")

    # Immediate readers got theirs; the digest reader nothing yet.
    assert not [m for m in mail.outbox if lead.email in m.to]
    assert [m for m in mail.outbox if nsa_reviewer.email in m.to]

    assert send_daily_digests() == 1
    [digest] = [m for m in mail.outbox if lead.email in m.to]
    assert "New discussion on" in digest.body
    assert "New message on" in digest.body
    assert "NSA agrees." not in digest.body  # the text stays in the portal
    # A second run (a retried task, a second beat) sends nothing more.
    assert send_daily_digests() == 0
    assert len([m for m in mail.outbox if lead.email in m.to]) == 1
    assert not Notification.objects.filter(recipient=lead, emailed_at=None).exists()


def test_an_immediate_reader_is_mailed_once_per_message(
    case, coordinator, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(case, coordinator, "agency_only")
    assert len([m for m in mail.outbox if lead.email in m.to]) == 1
    assert send_daily_digests() == 0
