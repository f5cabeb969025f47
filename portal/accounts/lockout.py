"""Sign-in lockout that one client cannot turn against everyone.

django-axes records each failed sign-in (``AccessAttempt``: username, address,
user agent, count); this module decides what those failures lock:

- a **username from one address** after ``SIGN_IN_FAILURE_LIMIT`` failures
  (``AXES_FAILURE_LIMIT``): the guesser is stopped, the person signing in from
  anywhere else is not;
- a **username from every address** after ``SIGN_IN_USERNAME_FAILURE_LIMIT``
  failures in all, a higher number: a guess spread over many addresses;
- an **address for every username** only when ``SIGN_IN_ADDRESS_FAILURE_LIMIT``
  is set (0, the default, never): behind a shared NAT or a proxy that is not
  listed in ``TRUSTED_PROXIES`` one client would otherwise lock everyone out.

All within ``SIGN_IN_LOCKOUT_MINUTES``. A locked sign-in costs what a wrong
password costs: ``SignInThrottleBackend`` runs the password hasher before it
refuses, so the answer's timing does not tell that the lockout is on.
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Q, Sum


def failure_counts(*, username: str | None, ip_address: str | None, since) -> dict[str, int]:
    """Failures since ``since`` of the (username, address) pair, the username, the address."""
    totals = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=ip_address), attempt_time__gte=since
    ).aggregate(
        pair=Sum("failures_since_start", filter=Q(username=username, ip_address=ip_address)),
        username=Sum("failures_since_start", filter=Q(username=username)),
        address=Sum("failures_since_start", filter=Q(ip_address=ip_address)),
    )
    return {name: count or 0 for name, count in totals.items()}


def reached_limits(counts: dict[str, int]) -> list[str]:
    """The counters that reached their limit: ``pair``, ``username``, ``address``."""
    limits = {
        "pair": settings.AXES_FAILURE_LIMIT,
        "username": settings.SIGN_IN_USERNAME_FAILURE_LIMIT,
        "address": settings.SIGN_IN_ADDRESS_FAILURE_LIMIT,
    }
    return [name for name, limit in limits.items() if limit and counts[name] >= limit]


class SignInLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler with a limit per counter (``AXES_HANDLER``).

    axes compares one number, ``get_failures``, with one limit,
    ``AXES_FAILURE_LIMIT``. Here each counter has its own limit, so the number
    given back is the limit itself when any counter reached its own, and
    otherwise the pair's count (always below the limit).
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        counts = self.failure_counts(request, credentials)
        request.axes_lockout_counters = reached_limits(counts)
        if request.axes_lockout_counters:
            return settings.AXES_FAILURE_LIMIT
        return min(counts["pair"], settings.AXES_FAILURE_LIMIT - 1)

    def failure_counts(self, request, credentials: dict | None = None) -> dict[str, int]:
        from axes.attempts import get_cool_off_threshold

        return failure_counts(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
            since=get_cool_off_threshold(request),
        )

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A right password forgets the failures of that username from that address only.

        Not the username's failures elsewhere (someone else's guesses), nor
        the address's for other usernames (an attacker signing in to their
        own account must not wipe their guesses at others).
        """
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


class SignInThrottleBackend(AxesStandaloneBackend):
    """axes' backend, which refuses a locked-out sign-in, after running the hasher.

    Without the hash a locked sign-in answered in a tenth of the time of a
    wrong password, which told a guesser the lockout was on. A wrong password
    costs one hash (of the stored password, or Django's dummy for an unknown
    username); so does this.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            make_password(password or "")
            raise
