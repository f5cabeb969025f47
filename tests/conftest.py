"""Personas for every role, shared by all tests.

Each persona is a signed-in test client factory away: ``client.force_login(coordinator)``.
Fixture users get a fast password hash; one test proves real accounts use Argon2.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from portal.accounts.models import Agency, Membership, Organization, User

PASSWORD = "correct horse battery staple"
FAST_HASH = make_password(PASSWORD, hasher="md5")
Role = Membership.Role


def pytest_collection_modifyitems(config, items):
    """Skip tests that need a server the run was not given."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://...")
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(skip_pg)
        if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)


def database_triggers(table: str) -> set[str]:
    """The names of the triggers the database runs on ``table``."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        return {name for (name,) in cursor.fetchall()}


def make_person(username, *, unit=None, role=None, **extra) -> User:
    user = User.objects.create(
        username=username, password=FAST_HASH, email=f"{username}@example.test", **extra
    )
    if unit is not None:
        field = "agency" if isinstance(unit, Agency) else "organization"
        Membership.objects.create(user=user, role=role, **{field: unit})
    return user


@pytest.fixture
def caisi(db):
    return Agency.objects.create(
        name="Center for AI Standards and Innovation", acronym="CAISI", slug="caisi"
    )


@pytest.fixture
def nsa(db):
    return Agency.objects.create(name="National Security Agency", acronym="NSA", slug="nsa")


@pytest.fixture
def developer(db):
    return Organization.objects.create(
        name="Northwind Labs", slug="northwind", kind=Organization.Kind.DEVELOPER
    )


@pytest.fixture
def other_developer(db):
    return Organization.objects.create(
        name="Meridian ML", slug="meridian", kind=Organization.Kind.DEVELOPER
    )


@pytest.fixture
def bank(db):
    return Organization.objects.create(
        name="First Harbor Bank",
        slug="first-harbor",
        kind=Organization.Kind.OPERATOR,
        sector=Organization.Sector.FINANCIAL_SERVICES,
    )


@pytest.fixture
def platform_admin(db):
    return make_person("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def coordinator(caisi):
    return make_person("coordinator", unit=caisi, role=Role.COORDINATOR)


@pytest.fixture
def reviewer(caisi):
    return make_person("reviewer", unit=caisi, role=Role.REVIEWER)


@pytest.fixture
def submitter(developer):
    return make_person("submitter", unit=developer, role=Role.SUBMITTER)


@pytest.fixture
def org_admin(developer):
    return make_person("orgadmin", unit=developer, role=Role.ORG_ADMIN)


@pytest.fixture
def operator(bank):
    return make_person("operator", unit=bank, role=Role.SECURITY_TEAM)


@pytest.fixture
def outsider(db):
    """Signed in, but belongs to no agency or organization."""
    return make_person("outsider")


@pytest.fixture
def personas(platform_admin, coordinator, reviewer, submitter, operator, outsider):
    return {
        "admin": platform_admin,
        "coordinator": coordinator,
        "reviewer": reviewer,
        "submitter": submitter,
        "operator": operator,
        "outsider": outsider,
    }


# The SQL every signed-in page pays before its own work: the bench's trivial view.
SECTION_OWN_QUERIES = 9  # a case section's own, over that baseline (12 in all on a 3-query one)


def baseline_queries(client) -> int:
    """Queries of the bench's trivial view (the signed-in layout, nothing else) for
    the client's person, measured after a warm-up request as the pages are."""
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    with override_settings(ROOT_URLCONF="portal.bench.urls"):
        url = reverse("bench_trivial")
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Counts cached per person (the header's badges) never leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()
