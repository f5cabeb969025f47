"""Reads of notifications that more than one page needs."""

from django.core.cache import cache

from portal.notifications import unread
from portal.notifications.models import Notification


def unread_count(user) -> int:
    """The person's unread notifications: from the cache, else one query (then cached)."""
    key = unread.key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
        cache.set(key, count, unread.KEPT_FOR)
    return count
