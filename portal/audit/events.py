"""Writing audit events from anywhere, with the request's person and address.

``AuditContextMiddleware`` remembers the current request in a context
variable, so that signal receivers (sign-in, admin changes to memberships and
permissions) can name who did it and from where without a request argument.
"""

from contextvars import ContextVar

from portal.audit.models import AuditEvent
from portal.core.network import client_ip

_current_request = ContextVar("audit_request", default=None)
# ``actor`` not given: the person of the current request. ``actor=None``: nobody.
_REQUEST_USER = object()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def record(
    action: str,
    *,
    target=None,
    details=None,
    actor=_REQUEST_USER,
    request=None,
    actor_repr=None,
):
    """Append an audit event; actor and IP default to the current request's.

    Pass ``actor=None`` for an event nobody signed in caused (a failed
    sign-in, a command); leave it out to name the request's person.
    """
    request = request or _current_request.get()
    if actor is _REQUEST_USER:
        actor = getattr(request, "user", None)
    return AuditEvent.record(
        action,
        actor=actor,
        target=target,
        details=details,
        ip=client_ip(request),
        actor_repr=actor_repr,
    )
