"""Object permissions through django-guardian: the one way to grant and revoke.

Grants go to groups (an agency's, an organization's) or to a person (an
assigned reviewer). Every grant and revocation is audited by the receivers in
``portal.accounts.receivers``.
"""

from django.contrib.auth.models import Group
from django.db.models import Model
from guardian.shortcuts import assign_perm, remove_perm

from portal.accounts.models import User


def _check_single(holder, obj) -> None:
    # guardian also takes lists and querysets, but its bulk paths send no
    # signals and so would escape the audit log: one holder, one object here.
    if not isinstance(holder, User | Group) or not isinstance(obj, Model):
        raise TypeError("grant() and revoke() take one person or group and one object")


def grant(perm: str, holder, obj) -> None:
    _check_single(holder, obj)
    assign_perm(perm, holder, obj)


def revoke(perm: str, holder, obj) -> None:
    _check_single(holder, obj)
    remove_perm(perm, holder, obj)
