"""How many notifications a person has not read, cached: the header's badge on every page.

Counted once (``selectors.unread_count``) and kept in the cache per person;
every write that can change it (a notification created, marked read, deleted)
forgets the people it touched, again when its transaction commits.
``NotificationQuerySet`` and ``Notification`` make those writes, so a new
write path cannot forget to forget.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

# Exact by invalidation; the expiry only bounds what a write outside these
# methods (raw SQL, a case's deletion cascading to its notifications) leaves behind.
KEPT_FOR = 24 * 3600


def key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def forget_on_commit(user_ids: Iterable[int]) -> None:
    """Count these people's unread notifications again, now and once the write commits.

    Forgotten again after the commit: a page read between the two would count
    the rows as they were before the write, and keep that count.
    """
    keys = list({key(user_id) for user_id in user_ids})
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))
