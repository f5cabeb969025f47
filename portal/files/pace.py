"""How fast a person's downloads of one grant go: whether nginx may send the next one unwatched.

nginx cannot be stopped in the middle of an X-Accel-Redirect response, and a
response shorter than the range asked for breaks clients (``curl`` keeps the
short file and exits 0; ``aria2c`` aborts: docs/transfers.md). So with
``DOWNLOAD_BACKEND=x-accel`` a grant's download goes to nginx only when it
will be over within ``DOWNLOAD_ACCEL_SECONDS`` at the speed this person
last proved on this grant; anything else (no speed known yet, a slow or
throttled client, a transfer too long for the budget) the app sends itself,
re-checking the grant as it goes, and that transfer measures the speed.

The speed lives in the default cache (Redis in production, shared by every
worker) for ``PACE_TTL_SECONDS``; then the next transfer measures it again.
A cache that forgets, or one per process, only sends more transfers through
the app: never fewer.
"""

from django.conf import settings
from django.core.cache import cache

# What the sockets between the app and the client may hold (the kernel's send and
# receive buffers, nginx's proxy buffers): counted as sent, not yet received. A
# measured speed leaves it out, so a slow client never looks fast.
BUFFERED_BYTES = 8 * 1024 * 1024
# A transfer shorter than this says too little about the client's speed.
MIN_SAMPLE_BYTES = 2 * BUFFERED_BYTES
# How often the speed is measured again: the first transfer after this goes
# through the app (the others keep the speed known until the new one arrives).
PACE_TTL_SECONDS = 60
# How long a measured speed is kept at most, re-measured or not.
PACE_KEEP_SECONDS = 600


def pace_key(user_id: int | None, through: str) -> str:
    """One person's downloads through one grant (``through``: "access.accessgrant:7")."""
    return f"download-pace:{user_id or 0}:{through}"


def proven_rate(key: str) -> float | None:
    """Bytes per second this person's last measured transfer of the grant went, if recent."""
    rate = cache.get(key)
    return float(rate) if rate else None


def remember(key: str, sent: int, seconds: float) -> None:
    """Keep the speed of a transfer the app sent (the latest, so a client that slows
    down is watched again at once); too small a sample is not a speed."""
    if sent < MIN_SAMPLE_BYTES or seconds <= 0:
        return
    cache.set(key, (sent - BUFFERED_BYTES) / seconds, PACE_KEEP_SECONDS)
    cache.set(key + ":due", 1, PACE_TTL_SECONDS)


def fits(key: str, length: int) -> bool:
    """Whether ``length`` bytes go within the budget at the speed last proven.

    Once a ``PACE_TTL_SECONDS`` the first transfer is refused here, whatever
    its length, so that the app sends it and measures the speed again.
    """
    due = key + ":due"
    known = cache.get_many([key, due])  # one round trip while the speed is fresh
    rate = known.get(key)
    if not rate or length > float(rate) * settings.DOWNLOAD_ACCEL_SECONDS:
        return False
    return due in known or not cache.add(due, 1, PACE_TTL_SECONDS)
