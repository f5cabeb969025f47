"""Password-reset emails are throttled by address and by account.

Hourly counters, keyed by the normalized address and by the account, so
nobody can flood someone's mailbox; a refused request looks like a sent one
(the form decides, ``PortalPasswordResetForm``). They live in the "limits"
cache, which every process shares: Redis when ``REDIS_URL`` is set (one
atomic increment), otherwise files under ``VAR_DIR``.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches

from portal.accounts.models import User

HOUR = 3600


def _count(key: str) -> int:
    """Add one to an hourly counter and return it (the window starts with the first)."""
    cache = caches["limits"]
    cache.add(key, 0, timeout=HOUR)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=HOUR)
        return 1


def reset_allowed_for_address(email: str) -> bool:
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    return _count(f"password-reset:address:{digest}") <= settings.PASSWORD_RESET_PER_HOUR


def reset_allowed_for_account(user: User) -> bool:
    return _count(f"password-reset:account:{user.pk}") <= settings.PASSWORD_RESET_PER_HOUR
