import pytest
from django.urls import reverse

from portal.accounts.models import User
from portal.notifications.models import Notification


def test_my_notifications_only_and_marking_them_read(client, submitter, operator):
    mine = Notification.objects.create(recipient=submitter, title="Yours")
    Notification.objects.create(recipient=operator, title="Someone else's")
    client.force_login(submitter)

    page = client.get(reverse("portal:notification_list"))
    assert page.status_code == 200
    assert b"Yours" in page.content and b"Someone else" not in page.content

    assert client.get(reverse("portal:notifications_read")).status_code == 405
    client.post(reverse("portal:notifications_read"))
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.get(recipient=operator).read_at is None


@pytest.mark.parametrize("choice", ["daily_digest", "immediate"])
def test_a_person_chooses_how_emails_arrive(client, reviewer, choice):
    client.force_login(reviewer)
    response = client.post(reverse("portal:email_delivery"), {"email_delivery": choice})
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.email_delivery == choice


def test_a_bad_choice_changes_nothing(client, reviewer):
    client.force_login(reviewer)
    client.post(reverse("portal:email_delivery"), {"email_delivery": "carrier-pigeon"})
    reviewer.refresh_from_db()
    assert reviewer.email_delivery == User.EmailDelivery.IMMEDIATE


def test_anonymous_people_are_sent_to_sign_in(client, db):
    for name in ("portal:notification_list",):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response.url
    response = client.post(reverse("portal:email_delivery"), {"email_delivery": "daily_digest"})
    assert response.status_code == 302 and reverse("login") in response.url
