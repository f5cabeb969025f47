"""The sign-in backend: Django's, loading the person with their membership and unit.

Every signed-in page reads the person's role (navigation, access checks) and
the header shows their unit: fetched with the user in one query, not two more
on every request. The lookup is by primary key, so it needs no ORDER BY (which
``first()`` would add and compile on every request).

While ``mfa.VerifiedDeviceMiddleware`` loads a signed-in person it names the
device their session was verified with (``loading_session_device``): that
device comes in the same query, joined on its primary key and the person, as
the person's ``SESSION_DEVICE`` (None when no such device is theirs).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import FilteredRelation, Q
from django_otp.models import Device

# The attribute of a person loaded with their session's device: the device, or None.
SESSION_DEVICE = "session_device"

_session_device: ContextVar[tuple[type[Device], int] | None] = ContextVar(
    "session_device", default=None
)


@contextmanager
def loading_session_device(device: tuple[type[Device], int] | None) -> Iterator[None]:
    """Load the person with this device (model, primary key) in the block."""
    token = _session_device.set(device)
    try:
        yield
    finally:
        _session_device.reset(token)


class MembershipBackend(ModelBackend):
    def get_user(self, user_id):
        people = _people()
        if device := _session_device.get():
            people = _with_device(people, *device)
        user = next(iter(people.filter(pk=user_id)[:1]), None)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        user = await _people().filter(pk=user_id).afirst()
        return user if user is not None and self.user_can_authenticate(user) else None


def _people():
    return get_user_model()._default_manager.select_related(
        "membership__agency", "membership__organization"
    )


def _with_device(people, model: type[Device], pk: int):
    """The device of ``model`` with primary key ``pk``, if it is the person's, joined in."""
    relation = model._meta.get_field("user").related_query_name()
    return people.annotate(
        **{SESSION_DEVICE: FilteredRelation(relation, condition=Q(**{f"{relation}__pk": pk}))}
    ).select_related(SESSION_DEVICE)
