"""A sensitive form sent with a stale sign-in, kept on the server until the person confirms.

``recent_auth_required`` keeps what was posted (minus the CSRF token; never
files) in the session under a random key, with the path it was sent to, the
person and the time. The key travels with the confirmation page; the
confirmation itself is a CSRF-checked post, and after a right password it
calls the same view with the kept post, in the same request. A kept action
works once (it is taken out of the session before it runs), only in the
session that kept it, for the person who sent it, and only within
``KEPT_ACTION_SECONDS``; otherwise nothing changes and the person is told.
The key is a one-time form nonce (``portal.core.nonces``), claimed in the
database before the action runs, so two confirmations racing with copies of
the same session still do it once.
"""

import copy

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import urlencode

from portal.core.nonces import consume_nonce, issue_nonce

SESSION_KEY = "auth_kept_actions"
NONCE_SCOPE = "accounts.kept-action"
# The attribute ``recent_auth_required`` puts on the views whose posts may be kept.
KEEPS_ACTION = "keeps_action_for_confirmation"
MAX_KEPT = 5
MAX_KEPT_CHARACTERS = 20_000
NOT_KEPT_FIELDS = frozenset({"csrfmiddlewaretoken"})

GONE = (
    "What you sent before confirming was already done, or was not sent from this "
    "session: nothing more was changed. Check the page before sending it again."
)
NOT_RESUMABLE = "What you sent before confirming could not be done. Nothing changed: send it again."


def _now() -> float:
    return timezone.now().timestamp()


def stale_message() -> str:
    minutes = max(1, settings.KEPT_ACTION_SECONDS // 60)
    return (
        f"What you sent before confirming was more than {minutes} minute"
        f"{'s' if minutes != 1 else ''} ago, so it was not done. Nothing changed: "
        "check the form and send it again."
    )


def can_keep(request: HttpRequest) -> bool:
    """A post without files: files are never kept."""
    return request.method == "POST" and not request.FILES


def keep(request: HttpRequest) -> str | None:
    """Keep this post for after the confirmation; its key, or None if it cannot be kept."""
    if not can_keep(request):
        return None
    fields = [
        [name, value]
        for name, values in request.POST.lists()
        if name not in NOT_KEPT_FIELDS
        for value in values
    ]
    if sum(len(name) + len(value) for name, value in fields) > MAX_KEPT_CHARACTERS:
        return None
    now = _now()
    kept = {
        key: action
        for key, action in request.session.get(SESSION_KEY, {}).items()
        if now - action["at"] <= settings.KEPT_ACTION_SECONDS
    }
    newest = sorted(kept.items(), key=lambda item: item[1]["at"])[-(MAX_KEPT - 1) :]
    key = issue_nonce(request, NONCE_SCOPE)
    kept = dict(newest)
    kept[key] = {"path": request.path_info, "post": fields, "user": request.user.pk, "at": now}
    request.session[SESSION_KEY] = kept
    return key


def take(request: HttpRequest, key: str) -> dict | None:
    """The kept action ``key`` of this session, taken out so it can never run twice."""
    kept = request.session.get(SESSION_KEY) or {}
    action = kept.pop(key, None)
    if action is not None:
        request.session[SESSION_KEY] = kept
    return action


def resume(request: HttpRequest, key: str) -> HttpResponse | None:
    """Do the kept action ``key`` now, in this (confirmed, CSRF-checked) request.

    Its view's answer, or None with a message saying why nothing was done.
    """
    action = take(request, key)
    if (
        action is None
        or action["user"] != request.user.pk
        or not consume_nonce(request, NONCE_SCOPE, key)
    ):
        messages.warning(request, GONE)
        return None
    if _now() - action["at"] > settings.KEPT_ACTION_SECONDS:
        messages.warning(request, stale_message())
        return None
    try:
        match = resolve(action["path"])
    except Resolver404:
        match = None
    if match is None or not getattr(match.func, KEEPS_ACTION, False):
        messages.error(request, NOT_RESUMABLE)
        return None
    replay = copy.copy(request)
    replay.method = "POST"
    replay.path = replay.path_info = action["path"]
    replay.META = {**request.META, "PATH_INFO": action["path"], "QUERY_STRING": ""}
    replay.GET = QueryDict()
    # The confirmation's own body is parsed already, and had no files.
    replay.POST = QueryDict(urlencode(action["post"]))
    replay.resolver_match = match
    return match.func(replay, *match.args, **match.kwargs)
