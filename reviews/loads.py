"""Each reviewer's open work, cached: the assign form's labels and the agency's reviewers page
(``reviews.selectors.cached_open_loads``).

``reviews.selectors.open_loads`` counts it in SQL (a grouped pass over the
agency's active assignments, a dozen milliseconds at full size); the count is
kept in the cache per agency, stamped with a generation. Every write that can
change a load starts a new generation, now and again when its transaction
commits, so a count read in between (before the write committed) is never kept:

- an assignment created, changed or deleted: ``Assignment`` and
  ``AssignmentQuerySet`` (``save``, ``delete``, ``update``, ``bulk_create``);
- a case's status saved (a case entering or leaving review) or a case deleted:
  ``reviews.signals``.

One generation for every agency: such writes are rare next to the pages that
read the loads, and forgetting needs no query to find whom a write touches.
"""

import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

# Exact by invalidation; the expiry only bounds what a write outside these paths
# (raw SQL, a cases' QuerySet.update of the status) leaves behind.
KEPT_FOR = 3600
GENERATION = "reviews:open_loads:generation"


def _key(agency_id: int) -> str:
    return f"reviews:open_loads:{agency_id}"


def kept_loads(agency_id: int, count: Callable[[int], dict[int, int]]) -> dict[int, int]:
    """``count(agency_id)`` (``reviews.selectors.open_loads``), from the cache while no
    write changed any load."""
    found = cache.get_many([GENERATION, _key(agency_id)])
    generation = found.get(GENERATION)
    kept = found.get(_key(agency_id))
    if generation is not None and kept is not None and kept[0] == generation:
        return kept[1]
    if generation is None:
        # None yet (or evicted): start one; whoever starts it first wins.
        cache.add(GENERATION, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION)
    loads = count(agency_id)
    cache.set(_key(agency_id), (generation, loads), KEPT_FOR)
    return loads


def _new_generation() -> None:
    cache.set(GENERATION, uuid.uuid4().hex, None)


def forget_on_commit() -> None:
    """Count every agency's loads again, now and once the write's transaction commits.

    Again after the commit: a page read between the two would count the rows as
    they were before the write, and keep that count under the first new generation.
    """
    _new_generation()
    transaction.on_commit(_new_generation)
