"""The header's unread-notifications count is cached per person and stays right
after every write that changes it: created (one or in bulk), marked read (the
page's button, a bulk update, one row saved), deleted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import Notification
from portal.notifications.selectors import unread_count
from portal.notifications.services import notify

pytestmark = pytest.mark.django_db(transaction=True)  # forgotten on commit: real commits


def test_counted_once_then_kept(submitter):
    notify([submitter], title="One")
    assert unread_count(submitter) == 1
    with CaptureQueriesContext(connection) as queries:
        assert unread_count(submitter) == 1
    assert len(queries) == 0


def test_right_after_every_write_that_changes_it(client, submitter, reviewer):
    assert unread_count(submitter) == 0
    notify([submitter, reviewer], title="Created through the service")
    assert unread_count(submitter) == 1 and unread_count(reviewer) == 1

    Notification.objects.bulk_create(
        [Notification(recipient=submitter, title=f"Bulk {i}") for i in range(3)]
    )
    assert unread_count(submitter) == 4

    one = Notification.objects.create(recipient=submitter, title="Created one by one")
    assert unread_count(submitter) == 5

    one.read_at = timezone.now()
    one.save()
    assert unread_count(submitter) == 4

    Notification.objects.filter(recipient=submitter, title="Bulk 0").update(read_at=timezone.now())
    assert unread_count(submitter) == 3

    Notification.objects.filter(recipient=submitter, title="Bulk 1").delete()
    assert unread_count(submitter) == 2

    Notification.objects.get(recipient=submitter, title="Bulk 2").delete()
    assert unread_count(submitter) == 1

    client.force_login(submitter)
    client.post(reverse("portal:notifications_read"))
    assert unread_count(submitter) == 0
    assert unread_count(reviewer) == 1  # someone else's stays


def test_a_write_that_rolls_back_leaves_the_count_alone(submitter):
    from django.db import transaction

    assert unread_count(submitter) == 0
    with pytest.raises(RuntimeError), transaction.atomic():
        notify([submitter], title="Never")
        raise RuntimeError
    assert unread_count(submitter) == 0


def test_the_header_shows_the_cached_count(client, submitter):
    client.force_login(submitter)
    notify([submitter], title="One")
    assert "Notifications (1)" in client.get(reverse("portal:case_list")).content.decode()
    notify([submitter], title="Two")
    assert "Notifications (2)" in client.get(reverse("portal:case_list")).content.decode()
    client.post(reverse("portal:notifications_read"))
    page = client.get(reverse("portal:case_list")).content.decode()
    assert "Notifications (2)" not in page and "Notifications" in page
