"""seed_demo: the demo agencies, organizations and people, safe to run again."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.accounts.management.commands.seed_demo import DEFAULT_DEMO_PASSWORD, PEOPLE
from portal.accounts.models import Agency, Membership, Organization, User
from portal.audit.models import AuditEvent

DEMO_USERNAMES = [
    "admin",
    "coordinator",
    "reviewer",
    "reviewer2",
    "submitter",
    "submitter2",
    "operator",
    "operator2",
]


def seed():
    call_command("seed_demo", stdout=None)


def row_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Agency, Organization, User, Membership, Group, AuditEvent)
    }


ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture
def fast_passwords(settings):
    """Argon2 is slow by design; one test below puts it back."""
    settings.PASSWORD_HASHERS = [MD5]


@pytest.fixture
def local_setup(settings, monkeypatch):
    """As `make run` seeds: DEBUG on, the published demo password."""
    settings.DEBUG = True
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


@pytest.fixture
def seeded(db, fast_passwords, local_setup):
    seed()


def test_second_run_changes_nothing(seeded):
    before = row_counts()
    last_event = AuditEvent.objects.order_by("-sequence").first()
    hashes = dict(User.objects.values_list("username", "password"))
    seed()
    assert row_counts() == before
    assert AuditEvent.objects.order_by("-sequence").first() == last_event
    # Passwords are not re-hashed (a new salt would be a needless write).
    assert dict(User.objects.values_list("username", "password")) == hashes


def test_first_run_is_audited(db, fast_passwords, local_setup):
    seed()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"user.created", "membership.created"} <= actions


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_people_sign_in_with_the_default_password(seeded, username):
    assert authenticate(username=username, password=DEFAULT_DEMO_PASSWORD) is not None
    assert authenticate(username=username, password="not-the-demo-password") is None


def test_demo_password_can_be_overridden(db, fast_passwords, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-passphrase")
    seed()  # DEBUG is off here: a chosen password is allowed anywhere.
    assert authenticate(username="reviewer", password="another-demo-passphrase")
    assert authenticate(username="reviewer", password=DEFAULT_DEMO_PASSWORD) is None


def test_the_published_password_is_refused_without_debug(db, fast_passwords, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        seed()
    assert not User.objects.exists()
    assert not Agency.objects.exists()


def test_rerun_with_a_new_password_resets_it(seeded, monkeypatch, settings):
    settings.PASSWORD_HASHERS = [ARGON2, MD5]
    monkeypatch.setenv("DEMO_PASSWORD", "rotated-demo-passphrase")
    seed()
    assert authenticate(username="operator", password="rotated-demo-passphrase")
    assert User.objects.get(username="operator").password.startswith("argon2$")


def test_units(seeded):
    assert set(Agency.objects.values_list("acronym", flat=True)) == {
        "CAISI",
        "NSA",
        "ONCD",
        "Treasury",
    }
    developers = Organization.objects.filter(kind=Organization.Kind.DEVELOPER)
    operators = Organization.objects.filter(kind=Organization.Kind.OPERATOR)
    assert developers.count() == 2
    assert set(developers.values_list("sector", flat=True)) == {""}
    Sector = Organization.Sector
    assert sorted(operators.values_list("sector", flat=True)) == sorted(
        [Sector.FINANCIAL_SERVICES, Sector.FINANCIAL_SERVICES, Sector.ENERGY]
    )


def test_every_person_is_in_exactly_their_units_group(seeded):
    unit_groups = set(Agency.objects.values_list("group", flat=True)) | set(
        Organization.objects.values_list("group", flat=True)
    )
    for username, _first, _last, unit, role in PEOPLE:
        user = User.objects.get(username=username)
        membership = user.membership
        assert membership.role == role
        named = membership.agency.acronym if membership.agency else membership.organization.slug
        assert named == unit
        groups = set(user.groups.values_list("pk", flat=True))
        assert groups & unit_groups == {membership.unit.group_id}, username
    assert not User.objects.get(username="admin").groups.exists()


def test_admin_is_a_superuser_without_a_unit(seeded):
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not Membership.objects.filter(user=admin).exists()


def test_rerun_repairs_a_demoted_admin_and_a_moved_person(seeded):
    User.objects.filter(username="admin").update(is_superuser=False)
    moved = Membership.objects.get(user__username="reviewer")
    moved.agency = Agency.objects.get(acronym="NSA")
    moved.save()
    seed()
    assert User.objects.get(username="admin").is_superuser
    reviewer = User.objects.get(username="reviewer")
    caisi = Agency.objects.get(acronym="CAISI")
    assert reviewer.membership.agency == caisi
    assert list(reviewer.groups.all()) == [caisi.group]


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_each_demo_person_lands_on_a_working_page(client, seeded, username):
    assert client.login(username=username, password=DEFAULT_DEMO_PASSWORD)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


def test_the_demo_banks_see_a_shared_finding_and_a_revoked_grant(client, seeded):
    from access.models import AccessGrant

    client.force_login(User.objects.get(username="operator"))
    live = AccessGrant.objects.get(
        operator__slug="first-harbor-bank", case__model_name="Aurora", case__model_version="2.0"
    )
    page = client.get(reverse("access:grant_detail", args=[live.pk])).content.decode()
    assert "Phishing content generation at scale" in page
    assert "phishing-transcript.txt" in page
    assert "Sandbox escape" not in page  # marked agency only
    joint = AccessGrant.objects.get(
        operator__slug="first-harbor-bank", case__model_name="Tessellate", case__model_version="2.5"
    )
    page = client.get(reverse("access:grant_detail", args=[joint.pk])).content.decode()
    assert "operator-recommendation-heading" in page and "by CAISI, the lead agency" in page

    client.force_login(User.objects.get(username="operator2"))
    listing = client.get(reverse("access:granted_models")).content.decode()
    assert "Access that ended or was revoked" in listing
    assert "Revoked on " in listing and "The release moved" in listing
