"""Script access: ``Authorization: Bearer <token>`` on /api/ URLs.

API views answer 401 with a JSON error for a missing, unknown, expired or
revoked token; they never redirect to the sign-in page. A token carries
scopes: a view needing one it lacks answers 403 naming the scope
(``token_scope``). A browser session is not scope-limited. Bearer tokens are not
sent automatically by browsers, so these views need no CSRF protection.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from portal.accounts.models import AccessToken
from portal.accounts.models.tokens import SCOPES, digest_token


def api_error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="portal"'
    return response


def authenticate_bearer(request) -> tuple[AccessToken | None, str]:
    """The usable token the request carries, or None and why not."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None, "Send a personal access token: Authorization: Bearer <token>."
    token = (
        AccessToken.objects.select_related("user", "user__membership")
        .filter(digest=digest_token(raw.strip()))
        .first()
    )
    if token is None:
        return None, "The token is not valid."
    if not token.is_usable:
        return None, f"The token is {token.status if token.user.is_active else 'not valid'}."
    return token, ""


LAST_USED_PRECISION = timedelta(minutes=1)


def _use_token(request, token: AccessToken) -> None:
    now = timezone.now()
    # "Last used" to the minute: a script downloading file after file
    # does not write the token's row on every request.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    request.access_token = token


def token_required(view):
    """Authenticate the request by bearer token; answer 401 JSON otherwise."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token, why = authenticate_bearer(request)
        if token is None:
            return api_error(why, 401)
        _use_token(request, token)
        return view(request, *args, **kwargs)

    # csrf_exempt is safe: authentication is the Authorization header, which a
    # browser never attaches on its own to a cross-site request.
    # csrf_exempt is safe: a bearer token is no ambient credential, and a session
    # request passes the same CSRF check in the wrapper above for unsafe methods.
    return csrf_exempt(login_not_required(wrapper))


def token_or_session(view):
    """A bearer token (scripts) or the signed-in session (the browser's own scripts).

    With an ``Authorization`` header the token decides, as ``token_required``.
    Without one, the session's person is used and every unsafe method must
    pass the CSRF check (``X-CSRFToken``), since a browser sends the session
    cookie on its own.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if "Authorization" in request.headers:
            token, why = authenticate_bearer(request)
            if token is None:
                return api_error(why, 401)
            _use_token(request, token)
        elif not request.user.is_authenticated:
            return api_error(
                "Sign in, or send a personal access token: Authorization: Bearer <token>.", 401
            )
        else:
            request.access_token = None
            if request.method not in {"GET", "HEAD", "OPTIONS", "TRACE"}:
                csrf = CsrfViewMiddleware(lambda _request: HttpResponse())
                if csrf.process_view(request, None, (), {}) is not None:
                    return api_error("The CSRF token is missing or wrong; reload the page.", 403)
        return view(request, *args, **kwargs)

    # csrf_exempt is safe: a bearer token is no ambient credential, and a session
    # request passes the same CSRF check in the wrapper above for unsafe methods.
    return csrf_exempt(login_not_required(wrapper))


def missing_scope(request, scope: str) -> JsonResponse | None:
    """403 JSON when the request's token lacks ``scope``; None when it may go on.

    A request without a token (a browser session) is not scope-limited: its
    person's role and the object's access helper decide, as for every page.
    """
    if scope not in SCOPES:
        raise ValueError(f"No such token scope: {scope!r}")
    token = getattr(request, "access_token", None)
    if token is None or token.has_scope(scope):
        return None
    response = JsonResponse(
        {
            "error": f"This token lacks the scope {scope}. Create a token with it.",
            "required_scope": scope,
            "token_scopes": token.scopes,
        },
        status=403,
    )
    response["WWW-Authenticate"] = (
        f'Bearer realm="portal", error="insufficient_scope", scope="{scope}"'
    )
    return response


def token_scope(scope: str):
    """A view a token may call only when it carries ``scope``.

    Put it under ``@token_required`` (which sets ``request.access_token``)::

        @token_required
        @token_scope("grants:read")
        def api_grants(request): ...
    """
    if scope not in SCOPES:
        raise ValueError(f"No such token scope: {scope!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if refused := missing_scope(request, scope):
                return refused
            return view(request, *args, **kwargs)

        wrapper.token_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorator


@token_required
def me(request):
    """Who the token belongs to: a first call for scripts to check their setup."""
    if request.method != "GET":
        response = api_error("Use GET.", 405)
        response["Allow"] = "GET"
        return response
    user = request.user
    membership = getattr(user, "membership", None)
    return JsonResponse(
        {
            "username": user.username,
            "role": user.role,
            "unit": str(membership.unit) if membership else None,
            "token": {
                "name": request.access_token.name,
                "expires_at": request.access_token.expires_at,
                "scopes": request.access_token.scopes,
            },
        }
    )
