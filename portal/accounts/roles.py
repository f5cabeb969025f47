"""Who may open a role's pages.

Role pages (a dashboard, the token page) are not objects: a person of another
role, or a platform admin without a membership, gets 403 with a plain
explanation. Objects out of reach answer 404 through
each object type's access helper instead.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from portal.accounts.models import Membership

Role = Membership.Role
# Personal access tokens are for anyone who belongs to an agency or organization.
ANY_ROLE = tuple(Role)


def role_required(*roles: str):
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in allowed:
                raise PermissionDenied("This page is for another role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
