"""Audit receivers: sign-in and sign-out, memberships, groups and permissions.

Memberships also keep each person in exactly their unit's group here, so the
rule holds however a membership changes (a page, the admin, a command). And
migrations, which may recreate permissions, empty the permission-id cache of
``portal.accounts.visibility``.
"""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from django.dispatch import receiver

from portal.accounts import session_policy, visibility
from portal.accounts.models import Agency, Membership, Organization
from portal.audit import events as audit

User = get_user_model()
WATCHED_USER_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(post_migrate)
def forget_permission_ids(**kwargs):
    visibility.forget_permission_ids()


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    session_policy.start(request, user)
    audit.record("auth.sign_in", actor=user, target=user, request=request)


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """django-axes locked a sign-in out after too many failures.

    ``counters`` says what reached its limit (``portal.accounts.lockout``):
    the username from this address (``pair``), the username from everywhere,
    or the address for every username.
    """
    audit.record(
        "auth.locked_out",
        actor=None,
        actor_repr="",
        details={
            "username": str(username or "")[:150],
            "counters": list(getattr(request, "axes_lockout_counters", [])),
        },
        request=request,
    )


@receiver(user_logged_out)
def audit_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.sign_out", actor=user, target=user, request=request)


@receiver(user_login_failed)
def audit_failed_sign_in(sender, credentials, request=None, **kwargs):
    # The username tried is recorded as given; the password never is.
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        "auth.sign_in_failed",
        actor=None,
        actor_repr="",
        details={"username": username},
        request=request,
    )


def sync_unit_groups(user) -> None:
    """Put the person in exactly the groups of their membership, and no other unit's."""
    unit_groups = Group.objects.filter(
        Q(agency__isnull=False)
        | Q(organization__isnull=False)
        | Q(coordinated_agency__isnull=False)
    )
    membership = (
        Membership.objects.filter(user=user)
        .select_related("agency__group", "agency__coordinators_group", "organization__group")
        .first()
    )
    wanted = membership.groups() if membership else []
    stale = user.groups.filter(pk__in=unit_groups.values("pk")).exclude(
        pk__in=[group.pk for group in wanted]
    )
    user.groups.remove(*stale)
    user.groups.add(*wanted)


@receiver(post_delete, sender=Agency)
@receiver(post_delete, sender=Organization)
def delete_unit_group(sender, instance, **kwargs):
    """A unit's groups go with it (also for the admin's bulk delete)."""
    group_ids = [instance.group_id, getattr(instance, "coordinators_group_id", None)]
    Group.objects.filter(pk__in=[pk for pk in group_ids if pk]).delete()


@receiver(pre_save, sender=Membership)
def remember_previous_membership(sender, instance, **kwargs):
    instance._previous = (
        Membership.objects.filter(pk=instance.pk)
        .values("agency_id", "organization_id", "role")
        .first()
        if instance.pk
        else None
    )


def _membership_details(membership: Membership) -> dict:
    return {
        "user": membership.user.username,
        "unit": str(membership.unit),
        "role": membership.role,
    }


@receiver(post_save, sender=Membership)
def membership_saved(sender, instance, created, **kwargs):
    sync_unit_groups(instance.user)
    previous = getattr(instance, "_previous", None)
    details = _membership_details(instance)
    if created:
        audit.record("membership.created", target=instance.user, details=details)
    elif previous and previous != {
        "agency_id": instance.agency_id,
        "organization_id": instance.organization_id,
        "role": instance.role,
    }:
        details["previous"] = previous
        audit.record("membership.changed", target=instance.user, details=details)


@receiver(post_delete, sender=Membership)
def membership_deleted(sender, instance, **kwargs):
    if User.objects.filter(pk=instance.user_id).exists():
        sync_unit_groups(instance.user)
        audit.record(
            "membership.deleted", target=instance.user, details=_membership_details(instance)
        )


@receiver(pre_save, sender=User)
def remember_user_flags(sender, instance, **kwargs):
    instance._previous_flags = (
        User.objects.filter(pk=instance.pk).values(*WATCHED_USER_FLAGS).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=User)
def audit_user_flags(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_previous_flags", None)
    current = {flag: getattr(instance, flag) for flag in WATCHED_USER_FLAGS}
    if created:
        audit.record("user.created", target=instance, details=current)
    elif previous is not None and previous != current:
        changed = {
            flag: current[flag] for flag in WATCHED_USER_FLAGS if previous[flag] != current[flag]
        }
        audit.record("user.flags_changed", target=instance, details=changed)
    session_policy.deactivation_ends_sessions(sender, instance, created, raw=raw)


def _related_pks(through, instance, model) -> list:
    """What ``instance`` is linked to through ``through``, read before a clear."""
    links = [f for f in through._meta.get_fields() if f.many_to_one]
    own = next(f for f in links if isinstance(instance, f.related_model))
    other = next(f for f in links if f is not own and f.related_model is model)
    return list(
        through.objects.filter(**{own.attname: instance.pk}).values_list(other.attname, flat=True)
    )


def _audit_m2m(action_prefix, through, instance, action, model, pk_set):
    cleared_key = f"_audit_cleared_{through._meta.db_table}"
    if action == "pre_clear":
        # post_clear says nothing of what was removed; remember it now.
        setattr(instance, cleared_key, _related_pks(through, instance, model))
        return
    if action == "post_clear":
        pk_set = instance.__dict__.pop(cleared_key, None)
    if action not in {"post_add", "post_remove", "post_clear"} or not pk_set:
        return
    verb = action.removeprefix("post_")
    related = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set))
    audit.record(f"{action_prefix}.{verb}", target=instance, details={"items": related})


@receiver(m2m_changed, sender=User.groups.through)
def audit_group_change(sender, instance, action, model, pk_set, **kwargs):
    _audit_m2m("user.groups", sender, instance, action, model, pk_set)


@receiver(m2m_changed, sender=User.user_permissions.through)
def audit_user_permission_change(sender, instance, action, model, pk_set, **kwargs):
    _audit_m2m("user.permissions", sender, instance, action, model, pk_set)


@receiver(m2m_changed, sender=Group.permissions.through)
def audit_group_permission_change(sender, instance, action, model, pk_set, **kwargs):
    _audit_m2m("group.permissions", sender, instance, action, model, pk_set)


def _is_object_permission(instance) -> bool:
    from guardian.models.models import BaseObjectPermission

    return isinstance(instance, BaseObjectPermission)


def _object_permission_details(instance) -> dict:
    holder = getattr(instance, "user", None) or getattr(instance, "group", None)
    return {
        "permission": instance.permission.codename,
        "holder": str(holder),
        "object": str(instance.content_object)[:255],
    }


@receiver(post_save)
def audit_object_permission_granted(sender, instance, created, raw=False, **kwargs):
    """guardian grants (generic and direct-foreign-key tables alike)."""
    if created and not raw and _is_object_permission(instance):
        audit.record(
            "permission.granted",
            target=instance.content_object,
            details=_object_permission_details(instance),
        )


@receiver(post_delete)
def audit_object_permission_revoked(sender, instance, **kwargs):
    if _is_object_permission(instance):
        audit.record(
            "permission.revoked",
            target=instance.content_object,
            details=_object_permission_details(instance),
        )
