"""Counts of an agency's open work, cached: each reviewer's open load (the assign
form's labels, the agency's reviewers page: ``reviews.selectors.cached_open_loads``)
and the queue's counts at a glance (``reviews.selectors.cached_queue_counts``);
and each reviewer's own assignments by status (``reviews.selectors.held_assignments``,
changed by assignment writes alone).

Both are counted in SQL (``open_loads``: a grouped pass over the agency's active
assignments; ``queue_counts``: an aggregate over its open routings; each some
milliseconds at full size, growing with the data) and kept in the cache per
agency, stamped with a generation. Every write that can change a count starts a
new generation, now and again when its transaction commits, so a count read in
between (before the write committed) is never kept:

- an assignment created, changed or deleted (a load; the routing's count of
  active reviewers, which its triggers follow): ``Assignment`` and
  ``AssignmentQuerySet`` (``save``, ``delete``, ``update``, ``bulk_create``);
- a case's status, short notice or capability jump saved or updated in bulk (a
  case entering or leaving review, or a flag the queue counts), or a case
  deleted: ``reviews.signals``;
- a routing saved or deleted (a case entering or leaving an agency's queue), and
  an information request saved or deleted (a case waiting on its developer):
  ``reviews.signals``.

One generation for every agency and both counts: such writes are rare next to the
pages that read them, and forgetting needs no query to find whom a write touches.
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

# Exact by invalidation; the expiry only bounds what a write outside these paths
# (raw SQL) leaves behind.
KEPT_FOR = 3600
GENERATION = "reviews:open_loads:generation"


def _key(kind: str, owner_id: int) -> str:
    return f"reviews:{kind}:{owner_id}"


def kept[Counted](kind: str, owner_id: int, count: Callable[[int], Counted]) -> Counted:
    """``count(owner_id)`` (an agency's, or a reviewer's), from the cache (under ``kind``)
    while no write changed any count of open work."""
    key = _key(kind, owner_id)
    found = cache.get_many([GENERATION, key])
    generation = found.get(GENERATION)
    held = found.get(key)
    if generation is not None and held is not None and held[0] == generation:
        return held[1]
    if generation is None:
        # None yet (or evicted): start one; whoever starts it first wins.
        cache.add(GENERATION, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION)
    counted = count(owner_id)
    cache.set(key, (generation, counted), KEPT_FOR)
    return counted


def kept_loads(agency_id: int, count: Callable[[int], dict[int, int]]) -> dict[int, int]:
    """``count(agency_id)`` (``reviews.selectors.open_loads``), from the cache while no
    write changed any load."""
    return kept("open_loads", agency_id, count)


def _new_generation() -> None:
    cache.set(GENERATION, uuid.uuid4().hex, None)


def forget_on_commit() -> None:
    """Count every agency's open work again, now and once the write's transaction commits.

    Again after the commit: a page read between the two would count the rows as
    they were before the write, and keep that count under the first new generation.
    """
    _new_generation()
    transaction.on_commit(_new_generation)
