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

When a kept action is not done — too old, or its view refused it (an answer
of 400 or more, or an error message) — what the person typed is held for the
form instead (``hold_for_refill``): in the session, under the path the form
posts to, never in the address. The page showing that form takes it once
(``refill``) and shows the form filled in, next to the message saying what
happened. The "I understand" box of an irreversible action and one-time codes
are never filled in again: the person ticks and types those anew.
"""

import copy

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import urlencode

from portal.core.nonces import consume_nonce, issue_nonce

SESSION_KEY = "auth_kept_actions"
REFILL_SESSION_KEY = "auth_kept_refills"
NONCE_SCOPE = "accounts.kept-action"
# The attribute ``recent_auth_required`` puts on the views whose posts may be kept.
KEEPS_ACTION = "keeps_action_for_confirmation"
MAX_KEPT = 5
MAX_KEPT_CHARACTERS = 20_000
NOT_KEPT_FIELDS = frozenset({"csrfmiddlewaretoken"})
# Ticked and typed anew, never filled in: the consequence box, one-time codes.
NOT_REFILLED_FIELDS = frozenset({"understood", "code"})

GONE = (
    "What you sent before confirming was already done, or was not sent from this "
    "session: nothing more was changed. Check the page before sending it again."
)
NOT_RESUMABLE = "What you sent before confirming could not be done. Nothing changed: send it again."
NOT_DONE = "What you sent before confirming was not done, and nothing changed."
FILLED_IN = " The form is filled in again with what you typed: check it and send it again."


def _now() -> float:
    return timezone.now().timestamp()


def stale_message(*, filled_in: bool) -> str:
    minutes = max(1, settings.KEPT_ACTION_SECONDS // 60)
    return (
        f"What you sent before confirming was more than {minutes} minute"
        f"{'s' if minutes != 1 else ''} ago, so it was not done, and nothing changed."
        + (FILLED_IN if filled_in else " Send it again.")
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


def hold_for_refill(request: HttpRequest, action: dict) -> bool:
    """Keep what ``action`` sent for its form's page to show once, filled in.

    Whether anything was held: a form of only a button or an "I understand"
    box has nothing to fill in.
    """
    fields = [[name, value] for name, value in action["post"] if name not in NOT_REFILLED_FIELDS]
    now = _now()
    refills = {
        path: held
        for path, held in (request.session.get(REFILL_SESSION_KEY) or {}).items()
        if now - held["at"] <= settings.KEPT_ACTION_SECONDS and path != action["path"]
    }
    newest = sorted(refills.items(), key=lambda item: item[1]["at"])[-(MAX_KEPT - 1) :]
    refills = dict(newest)
    refills[action["path"]] = {
        "post": fields,
        "user": action["user"],
        "at": now,
    }
    request.session[REFILL_SESSION_KEY] = refills
    return bool(fields)


def refill(request: HttpRequest, path: str) -> QueryDict | None:
    """What the person typed into the form posting to ``path``, once; None if nothing is held.

    Taken out of the session as it is read: the page that shows the form
    filled in is the only one that does.
    """
    refills = request.session.get(REFILL_SESSION_KEY)
    if not refills or path not in refills:
        return None
    held = refills.pop(path)
    request.session[REFILL_SESSION_KEY] = refills
    if held["user"] != request.user.pk or _now() - held["at"] > settings.KEPT_ACTION_SECONDS:
        return None
    return QueryDict(urlencode(held["post"]))


def _error_messages(request: HttpRequest) -> int:
    """How many error messages wait to be shown, from earlier requests and this one."""
    storage = getattr(request, "_messages", None)
    if storage is None:
        return 0
    # Django's BaseStorage: showing the messages moves the queued ones (added in
    # this request) to the loaded ones, so both are counted.
    waiting = [*storage._loaded_messages, *storage._queued_messages]
    return sum(1 for message in waiting if message.level >= messages.ERROR)


def resume(request: HttpRequest, key: str) -> HttpResponse | None:
    """Do the kept action ``key`` now, in this (confirmed, CSRF-checked) request.

    Its view's answer, or None with a message saying why nothing was done.
    When the action is too old, or its view refuses it, what was typed is
    held for its form (``hold_for_refill``): a refusal that answers with a
    redirect keeps that answer (it goes back to the form, with the view's own
    message); one that answers 400 or more gives None, and the person goes back
    to the form's page.
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
        messages.warning(request, stale_message(filled_in=hold_for_refill(request, action)))
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
    errors_before = _error_messages(request)
    try:
        response = match.func(replay, *match.args, **match.kwargs)
    except (Http404, PermissionDenied):
        response = None  # out of reach now, or no longer allowed: refused like a 4xx
    if (
        response is not None
        and response.status_code < 400
        and _error_messages(request) == errors_before
    ):
        return response
    filled_in = hold_for_refill(request, action)
    messages.warning(request, NOT_DONE + (FILLED_IN if filled_in else ""))
    return response if response is not None and response.status_code < 400 else None
