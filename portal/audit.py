"""Writing audit events from anywhere, with the request's person and address.

``AuditContextMiddleware`` remembers the current request in a context
variable, so that signal receivers (sign-in, admin changes to memberships and
permissions) can name who did it and from where without a request argument.
"""

from contextvars import ContextVar

from portal.models import AuditEvent

_current_request = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def client_ip(request) -> str | None:
    """The address the request came from.

    Only REMOTE_ADDR is trusted; a proxy's X-Forwarded-For is not read here.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, *, target=None, details=None, actor=None, request=None, actor_repr=None):
    """Append an audit event; actor and IP default to the current request's."""
    request = request or _current_request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    return AuditEvent.record(
        action,
        actor=actor,
        target=target,
        details=details,
        ip=client_ip(request),
        actor_repr=actor_repr,
    )
