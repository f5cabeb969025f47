"""Agencies, organizations and the people who belong to them.

Every person belongs to one agency or one organization through a Membership
with a role. Each agency and organization owns a Django group; memberships keep
people in exactly their unit's group, and django-guardian object permissions
granted to that group are what the unit may see.
"""

import secrets

from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import slugify


class User(AbstractUser):
    """A person who signs in. Their unit and role live on ``membership``."""

    class EmailDelivery(models.TextChoices):
        IMMEDIATE = "immediate", "Each notification as it happens"
        DAILY_DIGEST = "daily_digest", "One daily digest"

    email_delivery = models.CharField(
        max_length=20,
        choices=EmailDelivery.choices,
        default=EmailDelivery.IMMEDIATE,
        help_text="In-app notifications always appear at once; this sets when emails go out.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def role(self) -> str | None:
        membership = getattr(self, "membership", None)
        return membership.role if membership else None

    @property
    def is_agency_staff(self) -> bool:
        return self.role in Membership.AGENCY_ROLES

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class UnitQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Unit(models.Model):
    """What agencies and organizations share: a name, a slug and a group."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    group = models.OneToOneField(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="%(class)s",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UnitQuerySet.as_manager()
    group_prefix = ""

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:60]
        if self.group_id is None:
            # A fresh group with a unique name: a unit never inherits the members
            # or object permissions of a group left behind or made by hand.
            suffix = secrets.token_hex(4)
            self.group = Group.objects.create(name=f"{self.group_prefix}:{self.slug}:{suffix}")
        super().save(*args, **kwargs)


class Agency(Unit):
    """A government agency that reviews cases (CAISI, NSA, ONCD, Treasury, ...).

    Besides the group of all its people, an agency has a group of its
    coordinators: cases routed to the agency are visible to that group, while
    a reviewer sees a case only once assigned to it.

    An agency that monitors capability jumps (ONCD) sees the frontier across
    every submitted case and receives every jump alert
    (``portal.capability.selectors``), but reads a case's findings, artifacts
    and discussions only once the case is routed to it.
    """

    acronym = models.CharField(max_length=20, unique=True)
    monitors_capability = models.BooleanField(
        "monitors capability jumps",
        default=False,
        help_text=(
            "Its staff see every submitted case's scores and jump flags on the Frontier "
            "and receive every jump alert; findings, artifacts and discussions stay with "
            "the agencies a case is routed to."
        ),
    )
    coordinators_group = models.OneToOneField(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="coordinated_agency",
    )
    group_prefix = "agency"

    class Meta(Unit.Meta):
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.acronym

    def save(self, *args, **kwargs):
        if self.coordinators_group_id is None:
            if not self.slug:
                self.slug = slugify(self.name)[:60]
            suffix = secrets.token_hex(4)
            self.coordinators_group = Group.objects.create(
                name=f"agency-coordinators:{self.slug}:{suffix}"
            )
        super().save(*args, **kwargs)


class Organization(Unit):
    """An AI developer that submits models, or a critical-infrastructure operator."""

    class Kind(models.TextChoices):
        DEVELOPER = "developer", "AI developer"
        OPERATOR = "operator", "Critical-infrastructure operator"

    class Sector(models.TextChoices):
        """CISA's 16 critical-infrastructure sectors (PPD-21)."""

        CHEMICAL = "chemical", "Chemical"
        COMMERCIAL_FACILITIES = "commercial_facilities", "Commercial facilities"
        COMMUNICATIONS = "communications", "Communications"
        CRITICAL_MANUFACTURING = "critical_manufacturing", "Critical manufacturing"
        DAMS = "dams", "Dams"
        DEFENSE_INDUSTRIAL_BASE = "defense_industrial_base", "Defense industrial base"
        EMERGENCY_SERVICES = "emergency_services", "Emergency services"
        ENERGY = "energy", "Energy"
        FINANCIAL_SERVICES = "financial_services", "Financial services"
        FOOD_AND_AGRICULTURE = "food_and_agriculture", "Food and agriculture"
        GOVERNMENT_FACILITIES = "government_facilities", "Government facilities"
        HEALTHCARE = "healthcare", "Healthcare and public health"
        INFORMATION_TECHNOLOGY = "information_technology", "Information technology"
        NUCLEAR = "nuclear", "Nuclear reactors, materials, and waste"
        TRANSPORTATION = "transportation", "Transportation systems"
        WATER = "water", "Water and wastewater systems"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    sector = models.CharField(
        max_length=40,
        choices=Sector.choices,
        blank=True,
        help_text="Required for critical-infrastructure operators; empty for AI developers.",
    )
    group_prefix = "org"

    class Meta(Unit.Meta):
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="operator") & ~Q(sector=""))
                | (Q(kind="developer") & Q(sector="")),
                name="organization_sector_only_for_operators",
                violation_error_message="Operators need a sector; AI developers have none.",
            ),
        ]


class Membership(models.Model):
    """A person's place: one agency or one organization, with a role there."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        REVIEWER = "reviewer", "Reviewer"
        SUBMITTER = "submitter", "Submitter"
        ORG_ADMIN = "org_admin", "Organization admin"
        SECURITY_TEAM = "security_team", "Security-team member"

    AGENCY_ROLES = frozenset({Role.COORDINATOR, Role.REVIEWER})
    DEVELOPER_ROLES = frozenset({Role.SUBMITTER, Role.ORG_ADMIN})
    OPERATOR_ROLES = frozenset({Role.SECURITY_TEAM})

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(agency__isnull=False) & Q(organization__isnull=True))
                | (Q(agency__isnull=True) & Q(organization__isnull=False)),
                name="membership_one_unit",
                violation_error_message="A person belongs to one agency or one organization.",
            ),
            models.CheckConstraint(
                condition=(Q(agency__isnull=False) & Q(role__in=["coordinator", "reviewer"]))
                | (
                    Q(organization__isnull=False)
                    & Q(role__in=["submitter", "org_admin", "security_team"])
                ),
                name="membership_role_fits_unit",
                violation_error_message="Coordinators and reviewers belong to agencies; "
                "submitters, organization admins and security teams to organizations.",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "role"]),
            models.Index(fields=["organization", "role"]),
        ]

    def __str__(self):
        return f"{self.user.username}: {self.get_role_display()} at {self.unit}"

    @property
    def unit(self) -> Agency | Organization | None:
        return self.agency or self.organization

    def groups(self) -> list[Group]:
        """The groups this membership puts its person in."""
        unit = self.unit
        if unit is None or unit.group is None:
            raise ValueError(f"Membership {self.pk} has no unit, or its unit no group.")
        groups = [unit.group]
        if self.role == self.Role.COORDINATOR:
            if self.agency is None or self.agency.coordinators_group is None:
                raise ValueError(f"Coordinator membership {self.pk} has no coordinators' group.")
            groups.append(self.agency.coordinators_group)
        return groups

    def clean(self):
        super().clean()
        if self.organization_id is None:
            return
        kind = self.organization.kind
        allowed = (
            self.DEVELOPER_ROLES if kind == Organization.Kind.DEVELOPER else self.OPERATOR_ROLES
        )
        if self.role not in allowed:
            names = ", ".join(sorted(self.Role(r).label.lower() for r in allowed))
            kind = "an AI developer" if kind == Organization.Kind.DEVELOPER else "an operator"
            raise ValidationError({"role": f"The roles at {kind} are: {names}."})
