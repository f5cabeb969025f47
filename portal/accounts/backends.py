"""The sign-in backend: Django's, loading the person with their membership and unit.

Every signed-in page reads the person's role (navigation, access checks) and
the header shows their unit: fetched with the user in one query, not two more
on every request. The lookup is by primary key, so it needs no ORDER BY (which
``first()`` would add and compile on every request).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MembershipBackend(ModelBackend):
    def get_user(self, user_id):
        user = next(iter(_people().filter(pk=user_id)[:1]), None)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        user = await _people().filter(pk=user_id).afirst()
        return user if user is not None and self.user_can_authenticate(user) else None


def _people():
    return get_user_model()._default_manager.select_related(
        "membership__agency", "membership__organization"
    )
