"""The demo data has an interagency thread and a thread with the developer."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.discussions.models import Thread
from portal.discussions.selectors import unread_message_count


@pytest.fixture
def seeded(db, settings, monkeypatch, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = True
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", stdout=None)


def test_the_demo_has_an_interagency_and_a_developer_thread(seeded):
    assert set(Thread.objects.values_list("marking", flat=True)) == {"interagency", "developer"}
    submitter = get_user_model().objects.get(username="submitter")
    assert [t.marking for t in Thread.objects.visible_to(submitter)] == ["developer"]
    # The developer answered the coordinator: the coordinator has news, the developer none.
    coordinator = get_user_model().objects.get(username="coordinator")
    assert unread_message_count(submitter) == 0
    assert unread_message_count(coordinator) >= 1


def test_seeding_again_adds_no_thread(seeded):
    count = Thread.objects.count()
    call_command("seed_demo", stdout=None)
    assert Thread.objects.count() == count
