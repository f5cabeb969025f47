"""How long a signed-in session lasts, and when a sensitive action asks again.

At sign-in the session records when it started, when the person last proved
who they are, when they were last seen, and their tier: agency staff and
platform admins are *privileged* (15 minutes idle, 12 hours in all by
default), everyone else *standard* (1 hour, 24 hours). The tier is decided at
sign-in. ``SessionPolicyMiddleware`` ends a session past either limit, and a
session whose person was deactivated (Django no longer loads them) is deleted
on its next request. ``recent_auth_required`` sends a sensitive action whose
last proof is older than ``REAUTH_SECONDS`` to the confirmation page first,
keeping what it posted for after the confirmation (``kept_actions``).
"""

from functools import wraps
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.models import Session
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from portal.accounts import kept_actions, mfa

SIGNED_IN_AT = "auth_signed_in_at"
AUTHENTICATED_AT = "auth_authenticated_at"
SEEN_AT = "auth_seen_at"
TIER = "auth_tier"
PRIVILEGED, STANDARD = "privileged", "standard"
# Last-seen is written at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 60


def _now() -> float:
    return timezone.now().timestamp()


def tier_of(user) -> str:
    return PRIVILEGED if user.is_staff or user.is_agency_staff else STANDARD


def limits(tier: str) -> tuple[int, int]:
    """(idle seconds, absolute seconds) for a tier."""
    if tier == STANDARD:
        return settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_SECONDS
    return settings.SESSION_IDLE_SECONDS_PRIVILEGED, settings.SESSION_MAX_SECONDS_PRIVILEGED


def start(request, user) -> None:
    """Called at every sign-in (``user_logged_in``)."""
    now = _now()
    request.session[SIGNED_IN_AT] = now
    request.session[AUTHENTICATED_AT] = now
    request.session[SEEN_AT] = now
    request.session[TIER] = tier_of(user)


def mark_authenticated(request) -> None:
    """The person has just proved who they are again (the confirmation page)."""
    request.session[AUTHENTICATED_AT] = _now()


def end_reason(session) -> str | None:
    """Why a signed-in session must end now, or None."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        return "expired"  # a session from before these limits existed
    idle, absolute = limits(session.get(TIER, PRIVILEGED))
    now = _now()
    if now - signed_in_at > absolute:
        return "expired"
    if now - seen_at > idle:
        return "idle"
    return None


def recently_authenticated(request, within: int | None = None) -> bool:
    authenticated_at = request.session.get(AUTHENTICATED_AT)
    within = settings.REAUTH_SECONDS if within is None else within
    return authenticated_at is not None and _now() - authenticated_at <= within


def freshly_two_step(request, within: int) -> bool:
    """Confirmed within ``within`` seconds, with the second factor when the person has one."""
    user = request.user
    return recently_authenticated(request, within) and (
        user.is_verified() or not mfa.has_device(user)
    )


ENDED_MESSAGES = {
    "idle": "You were signed out after a time without activity. Sign in again to continue.",
    "expired": "Your session reached its time limit. Sign in again to continue.",
}


class SessionPolicyMiddleware:
    """Ends sessions past their idle or absolute limit, and those of deactivated people.

    It only signs the person out; ``LoginRequiredMiddleware`` then sends the
    request to the sign-in page with ``next``, so nothing behind it runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            reason = end_reason(request.session)
            if reason:
                logout(request)
                messages.info(request, ENDED_MESSAGES[reason])
            elif _now() - request.session[SEEN_AT] >= SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = _now()
        elif SESSION_KEY in request.session:
            # Signed in once, but Django no longer loads the person: deactivated,
            # deleted, or the password changed. Delete the session row itself.
            request.session.flush()
        return self.get_response(request)


SESSION_ENGINES_IN_THE_DATABASE = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
    "portal.accounts.sessions",
)


def end_sessions_of(user) -> int:
    """Delete every stored session of ``user`` (sessions in the database); how many went.

    Each is deleted through the session engine, so that a copy in the cache
    (``cached_db``) goes with its row.
    """
    if settings.SESSION_ENGINE not in SESSION_ENGINES_IN_THE_DATABASE:
        return 0
    user_pk = str(user.pk)
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == user_pk
    ]
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in doomed:
        store(session_key).delete()
    return len(doomed)


def _confirm_page_for(request) -> str:
    """Where the person returns once confirmed: the page itself, or the form's page for a post."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        from urllib.parse import urlsplit

        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def recent_auth_required(view=None, *, privileged_seconds: int | None = None):
    """A sensitive action: only within REAUTH_SECONDS of the last sign-in or confirmation.

    With ``privileged_seconds``, agency staff and platform admins need more: a
    sign-in or confirmation within that many seconds, with their second factor
    (``freshly_two_step``).

    Otherwise the person is sent to confirm with their password (and code),
    and the post changes nothing yet: it is kept on the server
    (``kept_actions``) and done once they confirm, within
    KEPT_ACTION_SECONDS. A page (a GET), or a post that cannot be kept (an
    upload), returns them to the page itself or the form's page to send it
    again.
    """

    if view is None:
        return lambda view: recent_auth_required(view, privileged_seconds=privileged_seconds)

    def confirmed(request) -> bool:
        if privileged_seconds is not None and tier_of(request.user) == PRIVILEGED:
            return freshly_two_step(request, privileged_seconds)
        return recently_authenticated(request)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if confirmed(request):
            return view(request, *args, **kwargs)
        query = {"next": _confirm_page_for(request)}
        key = kept_actions.keep(request) if request.method == "POST" else None
        if key:
            query["action"] = key
            messages.info(
                request,
                "Confirm it is you to continue: this action needs a recent sign-in. "
                "What you sent is kept and done as soon as you confirm.",
            )
        elif request.method == "POST":
            messages.info(
                request,
                "Confirm it is you to continue: this action needs a recent sign-in. "
                "What you sent could not be kept (files never are): after confirming, "
                "send the form again.",
            )
        else:
            messages.info(
                request, "Confirm it is you to continue: this action needs a recent sign-in."
            )
        return redirect(f"{reverse('reauthenticate')}?{urlencode(query)}")

    setattr(wrapper, kept_actions.KEEPS_ACTION, True)
    return wrapper


def deactivation_ends_sessions(sender, instance, created, raw=False, **kwargs):
    """post_save of the user model: switching a person off ends their sessions at once."""
    previous = getattr(instance, "_previous_flags", None) or {}
    if not raw and not created and previous.get("is_active") and not instance.is_active:
        end_sessions_of(instance)
