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
