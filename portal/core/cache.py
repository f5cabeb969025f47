"""Django's Redis cache, keeping one Redis client per connection pool.

Django's backend builds a new ``redis.Redis`` object for every cache call,
and each one sets up its table of some 170 reply callbacks: about a tenth of
a millisecond before the round trip, several times on every page (the
header's counts, throttles). A client is safe to share between threads and
holds no connection of its own (the pool does), so it is built once per pool.

It also counts the writes it sends (``writes``): a value read ahead of its use
(the header's counts, read with the session: ``portal.accounts.sessions``) is
still what the cache holds while this thread has written nothing since.
Django keeps one cache object per thread, so the count is this thread's.
"""

from typing import Any, cast

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self.writes = 0

    def get_client(self, key=None, *, write=False):
        if write:
            self.writes += 1
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    @property
    def writes(self) -> int:
        """How many writes this thread's cache has sent so far."""
        return cast(RedisCacheClient, self._cache).writes
