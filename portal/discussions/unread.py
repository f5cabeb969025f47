"""The header's unread-messages badge, on every page: counted once, then cached.

A message written, or a thread read, forgets the counts of the people it
changes (its thread's readers, the reader) when its transaction commits. Who
may read a thread also changes elsewhere (a case routed to a new agency, a
grant given): those counts catch up when they expire, within ``KEPT_FOR``.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

KEPT_FOR = 60


def _key(user_id: int) -> str:
    return f"discussions:unread:{user_id}"


def unread_badge_key(user_id: int) -> str:
    """Where ``unread_badge`` keeps the count (the header reads it with the others)."""
    return _key(user_id)


def unread_badge(user) -> int:
    """``selectors.unread_message_count``, from the cache when counted lately."""
    key = _key(user.pk)
    count = cache.get(key)
    if count is None:
        from portal.discussions.selectors import unread_message_count

        count = unread_message_count(user)
        cache.set(key, count, KEPT_FOR)
    return count


def forget_on_commit(user_ids: Iterable[int]) -> None:
    """Count these people's unread messages again, now and once the write commits
    (a page read in between would keep the count from before the write)."""
    keys = list({_key(user_id) for user_id in user_ids})
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
