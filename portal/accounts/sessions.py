"""The session engine with Redis: Django's ``cached_db``, reading the header's counts along.

Every signed-in page reads its session from the cache, then, to draw the
header, the person's cached badge counts (``context_processors.navigation``):
two round trips to Redis. The counts' keys are known only once the session
says whose it is, so this process remembers, per session, the keys its last
page read through ``cached_many`` and reads them together with the session
the next time: one round trip.

A value read along is used only for the very key it was read for, and only
while this thread's cache has sent no write since (``RedisCache.writes``): a
page that forgets a count (marking notifications read) reads it again. Any
other process's write is as concurrent as it would have been a moment later.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches

# Sessions whose keys this process remembers; past that it forgets them all
# and each session reads its counts apart once more.
REMEMBERED_SESSIONS = 10_000
_keys_of_session: dict[str, tuple[str, ...]] = {}


class SessionStore(cached_db.SessionStore):
    _cache: Any  # cached_db's cache, ``caches[SESSION_CACHE_ALIAS]``

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._read_along: dict[str, Any] = {}
        self._writes_at_load: int | None = None

    def load(self):
        keys = _keys_of_session.get(self.session_key or "", ())
        writes = getattr(self._cache, "writes", None)
        if not keys or writes is None or self._cache is not caches[DEFAULT_CACHE_ALIAS]:
            return super().load()
        try:
            values = self._cache.get_many([self.cache_key, *keys])
        except Exception:
            # As cached_db: a key the cache refuses resets the session (#17810).
            return super().load()
        data = values.pop(self.cache_key, None)
        if data is None:
            return super().load()  # not in the cache: from its row, as cached_db does
        self._read_along = {key: values.get(key) for key in keys}
        self._writes_at_load = writes
        return data

    def flush(self):
        self._read_along, self._writes_at_load = {}, None
        super().flush()

    def cached_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """``cache.get_many(keys)``, from what was read with the session where it still holds."""
        keys = tuple(keys)
        self._remember(keys)
        unwritten = self._writes_at_load is not None and self._writes_at_load == self._cache.writes
        if unwritten and all(key in self._read_along for key in keys):
            return {k: self._read_along[k] for k in keys if self._read_along[k] is not None}
        return cache.get_many(keys)

    def _remember(self, keys: tuple[str, ...]) -> None:
        session_key = self.session_key
        if not session_key or _keys_of_session.get(session_key) == keys:
            return
        if len(_keys_of_session) >= REMEMBERED_SESSIONS:
            _keys_of_session.clear()
        _keys_of_session[session_key] = keys


def cached_many(request, keys: Iterable[str]) -> dict[str, Any]:
    """``cache.get_many(keys)`` for a page, read along with its session when it can be."""
    session = getattr(request, "session", None)
    if isinstance(session, SessionStore):
        return session.cached_many(keys)
    return cache.get_many(list(keys))
