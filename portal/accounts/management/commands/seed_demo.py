"""Demo data with fictional names. Safe to run again: it changes nothing the second time."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts.mfa import demo_authenticator
from portal.accounts.models import Agency, Membership, Organization
from portal.core.hooks import SEEDERS

# A published demo password, documented in the README; never used outside demo data.
DEFAULT_DEMO_PASSWORD = "frontier-demo-2026"  # noqa: S105

# The agencies that monitor capability jumps (Agency.monitors_capability).
MONITORING = {"ONCD"}

AGENCIES = [
    ("CAISI", "Center for AI Standards and Innovation"),
    ("NSA", "National Security Agency AI Security Center"),
    ("ONCD", "Office of the National Cyber Director"),
    ("Treasury", "Department of the Treasury"),
]

ORGANIZATIONS = [
    ("Northwind Intelligence Labs", "northwind", Organization.Kind.DEVELOPER, ""),
    ("Meridian Machine Learning", "meridian", Organization.Kind.DEVELOPER, ""),
    (
        "First Harbor Bank",
        "first-harbor-bank",
        Organization.Kind.OPERATOR,
        Organization.Sector.FINANCIAL_SERVICES,
    ),
    (
        "Granite Trust Bank",
        "granite-trust-bank",
        Organization.Kind.OPERATOR,
        Organization.Sector.FINANCIAL_SERVICES,
    ),
    (
        "Riverbend Power Cooperative",
        "riverbend-power",
        Organization.Kind.OPERATOR,
        Organization.Sector.ENERGY,
    ),
]

Role = Membership.Role
# username, first, last, (agency acronym | organization slug), role
PEOPLE = [
    ("coordinator", "Casey", "Ortiz", "CAISI", Role.COORDINATOR),
    ("reviewer", "Riley", "Chen", "CAISI", Role.REVIEWER),
    ("reviewer2", "Morgan", "Patel", "CAISI", Role.REVIEWER),
    ("nsa_coordinator", "Jordan", "Reyes", "NSA", Role.COORDINATOR),
    ("nsa_reviewer", "Avery", "Kim", "NSA", Role.REVIEWER),
    ("oncd_coordinator", "Drew", "Hollis", "ONCD", Role.COORDINATOR),
    ("submitter", "Sam", "Lindqvist", "northwind", Role.SUBMITTER),
    ("submitter2", "Alex", "Okafor", "meridian", Role.SUBMITTER),
    ("operator", "Taylor", "Brooks", "first-harbor-bank", Role.SECURITY_TEAM),
    ("operator2", "Jamie", "Novak", "granite-trust-bank", Role.SECURITY_TEAM),
]


def demo_password() -> str:
    """DEMO_PASSWORD, or the published default, which only a DEBUG setup may use.

    The demo data includes a superuser: with the default password on a real
    deployment anyone who read the README could sign in to the admin.
    """
    chosen = os.environ.get("DEMO_PASSWORD")
    if chosen:
        return chosen
    if not settings.DEBUG:
        raise CommandError(
            "seed_demo would give a superuser the published demo password: "
            "set DEBUG=true for local use, or DEMO_PASSWORD to choose another password."
        )
    return DEFAULT_DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create or refresh the demo agencies, organizations and people (fictional names)."

    @transaction.atomic
    def handle(self, *args, **options):
        password = demo_password()
        agencies = {}
        for acronym, name in AGENCIES:
            agencies[acronym], _ = Agency.objects.get_or_create(
                acronym=acronym, defaults={"name": name, "slug": acronym.lower()}
            )
            monitors = acronym in MONITORING
            if agencies[acronym].monitors_capability != monitors:
                agencies[acronym].monitors_capability = monitors
                agencies[acronym].save(update_fields=["monitors_capability"])
        organizations = {}
        for name, slug, kind, sector in ORGANIZATIONS:
            organizations[slug], _ = Organization.objects.get_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "sector": sector}
            )

        User = get_user_model()
        created = 0
        admin = self._person(User, "admin", "Pat", "Admin", password)
        if not (admin.is_staff and admin.is_superuser):
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        for username, first, last, unit, role in PEOPLE:
            user = self._person(User, username, first, last, password)
            unit_fields = (
                {"agency": agencies[unit], "organization": None}
                if unit in agencies
                else {"agency": None, "organization": organizations[unit]}
            )
            membership = Membership.objects.filter(user=user).first()
            wanted = {**unit_fields, "role": role}
            if membership is None:
                Membership.objects.create(user=user, **wanted)
                created += 1
            elif any(getattr(membership, k) != v for k, v in wanted.items()):
                for key, value in wanted.items():
                    setattr(membership, key, value)
                membership.save()
        # Agency staff and the admin must sign in with a code: they get the published
        # demo secret (``manage.py demo_totp USERNAME`` prints the current code). Only
        # reached where demo_password() allowed it: DEBUG or DEMO_PASSWORD set.
        for username in ["admin", *(p[0] for p in PEOPLE if p[4] in Membership.AGENCY_ROLES)]:
            demo_authenticator(User.objects.get(username=username))
        self.stdout.write(
            f"Demo data ready: {len(agencies)} agencies, {len(organizations)} organizations, "
            f"{len(PEOPLE) + 1} people ({created} new memberships)."
        )
        # Each app registers its seeders from its AppConfig.ready() (portal.core.hooks).
        for _order, _name, seed in sorted(SEEDERS, key=lambda entry: entry[:2]):
            seed(self.stdout)

    def _person(self, User, username, first, last, password):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.test"},
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
