"""Which objects a person holds a permission on, as one semi-join in SQL.

guardian's ``get_objects_for_user`` answers the same question with two ``IN``
subqueries joined by ``OR`` and a few queries beforehand to look up the
permission. PostgreSQL cannot turn an ``OR`` of subqueries into a join, so
every list paid for probing both for each row. Here the person's own grants
and their groups' grants are one ``UNION ALL`` subquery that lists join
against once. The permission's id is looked up once per process.

Superusers and model-wide permissions give nothing here, as with guardian's
``accept_global_perms=False, with_superuser=False``: what a person sees always
comes from object permissions.
"""

from django.db.models import Exists, OuterRef, QuerySet


def with_object_perm(
    queryset: QuerySet, user, codename: str, user_perms, group_perms, *, probe: bool = False
) -> QuerySet:
    """``queryset`` narrowed to the objects ``user`` holds ``codename`` on.

    ``user_perms`` and ``group_perms`` are the model's guardian tables (direct
    foreign keys); ``codename`` is the permission's codename without app label.

    ``probe`` asks the same question row by row (a correlated ``EXISTS`` on
    the tables' object index) instead of joining against every object the
    person may see: for a list that walks an index and stops after one page
    (search, newest first), which then reads a page's worth of grants, not
    all of them.
    """
    if not user.is_authenticated:
        return queryset.none()
    from django.contrib.auth import get_user_model

    permission_id = permission_id_for(queryset.model, codename)
    if permission_id is None:
        return queryset.none()
    memberships = get_user_model().groups.through.objects.filter(user_id=user.pk)
    own = user_perms.objects.filter(user_id=user.pk, permission_id=permission_id)
    through_groups = group_perms.objects.filter(
        group_id__in=memberships.values("group_id"), permission_id=permission_id
    )
    if probe:
        # One EXISTS over both (two ORed would be planned as two hashed sets).
        return queryset.filter(
            Exists(
                own.filter(content_object_id=OuterRef("pk"))
                .values("content_object_id")
                .union(
                    through_groups.filter(content_object_id=OuterRef("pk")).values(
                        "content_object_id"
                    ),
                    all=True,
                )
            )
        )
    return queryset.filter(
        pk__in=own.values("content_object_id").union(
            through_groups.values("content_object_id"), all=True
        )
    )


# Permission ids by (model label, codename), looked up once per process. They
# only change when migrations (re)create permissions, which ends with
# post_migrate: the cache is emptied then (a test database flush included).
_permission_ids: dict[tuple[str, str], int] = {}


def permission_id_for(model, codename: str) -> int | None:
    key = (model._meta.label_lower, codename)
    if key not in _permission_ids:
        from django.contrib.auth.models import Permission

        found = (
            Permission.objects.filter(
                codename=codename,
                content_type__app_label=model._meta.app_label,
                content_type__model=model._meta.model_name,
            )
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            return None
        _permission_ids[key] = found
    return _permission_ids[key]


def membership_key(user) -> tuple:
    """What ``visible_to`` reads of a person: their id and membership, as a cache key."""
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None:
        return (user.pk, None, None, None)
    return (user.pk, membership.agency_id, membership.organization_id, membership.role)


def stand_in(key: tuple):
    """An unsaved person with ``key``'s id and membership (``membership_key``), for
    building a ``visible_to`` queryset once per process without holding the request's
    person; the querysets read nothing else of them."""
    from django.contrib.auth import get_user_model

    from portal.accounts.models import Membership

    user_id, agency_id, organization_id, role = key
    person = get_user_model()(pk=user_id)
    if role is not None:
        person.membership = Membership(
            user_id=user_id, agency_id=agency_id, organization_id=organization_id, role=role
        )
    return person


# Per-process caches of querysets built with these ids (``keeps_permission_ids``).
_dependents: list = []


def keeps_permission_ids(cached):
    """Register a ``functools.lru_cache``d function whose querysets name permission
    ids: emptied with the ids, after every migration."""
    _dependents.append(cached)
    return cached


def forget_permission_ids() -> None:
    """Empty the cache; ``portal.accounts.receivers`` calls this after every migration."""
    _permission_ids.clear()
    for cached in _dependents:
        cached.cache_clear()
