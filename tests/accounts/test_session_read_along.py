"""With Redis, a page's session and the header's cached counts come in one round trip."""

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from portal.accounts import sessions
from portal.bench.pages import signed_in_client
from portal.notifications import unread
from portal.notifications.models import Notification

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db,
    pytest.mark.usefixtures("portal_sessions"),
]


@pytest.fixture
def portal_sessions(settings):
    settings.SESSION_ENGINE = "portal.accounts.sessions"
    sessions._keys_of_session.clear()
    yield
    sessions._keys_of_session.clear()


@pytest.fixture
def redis_commands(monkeypatch):
    sent = []
    execute = redis.Redis.execute_command

    def counted(self, *args, **options):
        sent.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return sent


def store_of(client) -> sessions.SessionStore:
    return sessions.SessionStore(client.cookies["sessionid"].value)


@override_settings(ROOT_URLCONF="portal.bench.urls")
def test_a_signed_in_page_reads_its_session_and_counts_in_one_round_trip(
    coordinator, redis_commands
):
    Notification.objects.create(recipient=coordinator, title="Unread")
    client = signed_in_client(coordinator.username)
    client.get(reverse("bench_trivial"))  # counts, and learns which counts this session reads
    redis_commands.clear()

    response = client.get(reverse("bench_trivial"))

    assert redis_commands == ["MGET"]
    assert "Notifications (1)" in response.content.decode()


@override_settings(ROOT_URLCONF="portal.bench.urls")
def test_a_count_forgotten_after_the_session_was_read_is_read_again(coordinator):
    client = signed_in_client(coordinator.username)
    client.get(reverse("bench_trivial"))
    store = store_of(client)
    key = unread.key(coordinator.pk)
    store.load()  # reads the count the first page cached (none unread) along

    assert store._read_along[key] == 0 and store.cached_many([key]) == {key: 0}

    cache.set(key, 3)  # a write in this request (a new notification, say) after the read

    assert store.cached_many([key]) == {key: 3}


def test_keys_not_read_with_the_session_come_from_the_cache(coordinator):
    client = signed_in_client(coordinator.username)
    store = store_of(client)
    store.load()
    cache.set("elsewhere", 7)
    store = store_of(client)  # a later request; the write above came before its load
    store.load()

    assert store.cached_many(["elsewhere"]) == {"elsewhere": 7}


def test_each_session_reads_along_only_the_keys_its_own_page_read(coordinator, reviewer):
    theirs = store_of(signed_in_client(coordinator.username))
    mine = store_of(signed_in_client(reviewer.username))
    theirs.load()
    theirs.cached_many([unread.key(coordinator.pk)])
    cache.set(unread.key(coordinator.pk), 5)

    mine.load()

    assert mine._read_along == {}


def test_the_process_forgets_the_sessions_it_remembers_past_its_bound(coordinator, monkeypatch):
    monkeypatch.setattr(sessions, "REMEMBERED_SESSIONS", 2)
    stores = [store_of(signed_in_client(coordinator.username)) for _ in range(3)]
    for store in stores:
        store.load()
        store.cached_many(["a-key"])

    assert list(sessions._keys_of_session) == [stores[2].session_key]
