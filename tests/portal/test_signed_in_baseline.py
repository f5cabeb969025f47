"""The signed-in baseline: what every page pays before its own work.

The bench's trivial view (the whole middleware stack and the layout around an
empty page) makes at most three queries for every role: the session (in the
database without Redis), and the person with their membership, unit and the
second factor's device. The header's badges come from the cache once counted.
"""

import pytest
from django.db import connection
from django.template import engines
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.bench.pages import signed_in_client
from portal.notifications.models import Notification

pytestmark = pytest.mark.django_db
BASELINE_QUERIES = 3


@pytest.fixture
def everyone(personas, org_admin):
    return {**personas, "org_admin": org_admin}


@override_settings(ROOT_URLCONF="portal.bench.urls")
@pytest.mark.parametrize(
    "persona", ["coordinator", "reviewer", "submitter", "org_admin", "operator", "admin"]
)
def test_the_trivial_view_makes_at_most_three_queries(everyone, persona):
    person = everyone[persona]
    Notification.objects.create(recipient=person, title="Unread")
    client = signed_in_client(person.username)
    url = reverse("bench_trivial")
    first = client.get(url)  # counts the badges once, then keeps them
    assert first.status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert len(queries) <= BASELINE_QUERIES, [q["sql"] for q in queries.captured_queries]
    page = response.content.decode()
    assert person.display_name() in page  # the header still names the person
    if persona != "admin":
        assert "Notifications (1)" in page  # and counts from the cache


@override_settings(ROOT_URLCONF="portal.bench.urls")
def test_the_person_comes_with_their_membership_and_unit_in_one_query(coordinator):
    client = signed_in_client(coordinator.username)
    client.get(reverse("bench_trivial"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("bench_trivial"))
    user_queries = [q["sql"] for q in queries.captured_queries if '"accounts_user"' in q["sql"]]
    assert len(user_queries) == 1
    assert '"accounts_membership"' in user_queries[0] and '"accounts_agency"' in user_queries[0]
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]


def test_templates_are_compiled_once_by_the_cached_loader():
    loaders = engines["django"].engine.loaders
    assert loaders[0][0] == "django.template.loaders.cached.Loader"
