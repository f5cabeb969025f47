"""Reading people by their place: the active members of a unit with a given role.

Services and reminder sources tell people by where they sit (the developer's
submitters, an operator's security team, an agency's coordinators); these are
the one definition of each, so every notice goes to the same people.
"""

from collections.abc import Iterable

from django.db.models import QuerySet

from portal.accounts.models import Membership, User


def developer_people(organization_id: int) -> QuerySet[User]:
    """A developer's active submitters and organization admins."""
    return User.objects.filter(
        is_active=True,
        membership__organization_id=organization_id,
        membership__role__in=Membership.DEVELOPER_ROLES,
    )


def security_team(organization_id: int) -> QuerySet[User]:
    """An operator's active security-team members."""
    return User.objects.filter(
        is_active=True,
        membership__organization_id=organization_id,
        membership__role=Membership.Role.SECURITY_TEAM,
    )


def agency_coordinators(agency_ids: Iterable[int] | QuerySet) -> QuerySet[User]:
    """The active coordinators of these agencies (ids, or a ``values("agency_id")`` query)."""
    return User.objects.filter(
        is_active=True,
        membership__agency_id__in=agency_ids,
        membership__role=Membership.Role.COORDINATOR,
    )


# --- the same people, for many units in one query (the deadline sweep's batches) ------


def _by_unit(memberships, unit: str) -> dict[int, list[User]]:
    grouped: dict[int, list[User]] = {}
    for membership in (
        memberships.filter(user__is_active=True).select_related("user").order_by("user_id")
    ):
        grouped.setdefault(getattr(membership, f"{unit}_id"), []).append(membership.user)
    return grouped


def coordinators_by_agency(agency_ids: Iterable[int]) -> dict[int, list[User]]:
    """``agency_coordinators`` of each agency: {agency id: people}, one query."""
    memberships = Membership.objects.filter(
        agency_id__in=set(agency_ids), role=Membership.Role.COORDINATOR
    )
    return _by_unit(memberships, "agency")


def developer_people_by_organization(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """``developer_people`` of each organization: {organization id: people}, one query."""
    memberships = Membership.objects.filter(
        organization_id__in=set(organization_ids), role__in=Membership.DEVELOPER_ROLES
    )
    return _by_unit(memberships, "organization")


def security_teams_by_organization(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """``security_team`` of each organization: {organization id: people}, one query."""
    memberships = Membership.objects.filter(
        organization_id__in=set(organization_ids), role=Membership.Role.SECURITY_TEAM
    )
    return _by_unit(memberships, "organization")
