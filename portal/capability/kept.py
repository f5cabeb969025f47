"""Each person's frontier, kept in the cache until a write can change it.

The Frontier pages and ``/api/v1/frontier/`` count and sort every result the
person may see (``selectors.frontier_results``): tens of milliseconds at full
size, for data that changes a few times a day. What they compute (the
overview's sections, a benchmark's totals, table page and charts, the
developer filter's choices, an API page) is kept per person, filters and page,
stamped with a generation. Every write that can change what anyone sees on
the frontier starts a new generation, now and again when its transaction
commits, so a page read in between (before the write committed) is never kept:

- a score recorded, corrected or deleted, or its evaluation stored
  (``EvalResult``, ``JumpEvaluation``);
- a case saved (submitted, withdrawn, its status or title changed) or deleted;
- a case routed or unrouted (``CaseRouting``), a routing request asked or
  answered (``RoutingRequest``);
- who may see a case: its object permissions (given on routing and on an
  assignment), a person's groups, memberships and agencies (a monitoring
  agency sees everything);
- a benchmark's settings, a developer's name.

Per person: a coordinator's, a reviewer's and a developer's frontiers differ,
and a monitoring agency's rows say per person which cases they may open. One
generation for everyone: such writes are rare next to the pages that read the
frontier, and forgetting needs no query to find whom a write touches.
"""

import hashlib
import uuid
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import get_template
from django.utils import timezone

from portal.capability import chart

# Exact by invalidation; the expiry only bounds what a write outside these paths
# (raw SQL, a QuerySet.update or bulk_create: call ``forget_on_commit`` after one)
# leaves behind.
KEPT_FOR = 3600
GENERATION = "capability:frontier:generation"


def _key(user, parts: tuple) -> str:
    # The charts' template is part of what is kept: a changed one is another key.
    template = get_template(chart.TEMPLATE).template.source  # type: ignore[attr-defined]
    text = repr((template, user.pk, timezone.get_current_timezone_name(), *parts))
    return "capability:frontier:" + hashlib.sha256(text.encode()).hexdigest()


def kept[T](user, parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, from the cache while no write changed anyone's frontier.

    ``parts`` names what is computed and everything it depends on besides the
    person, the time zone and the charts' template (always in the key): the
    page, its filters, the page number.
    """
    key = _key(user, parts)
    found = cache.get_many([GENERATION, key])
    generation = found.get(GENERATION)
    stored = found.get(key)
    if generation is not None and stored is not None and stored[0] == generation:
        return stored[1]
    if generation is None:
        # None yet (or evicted): start one; whoever starts it first wins.
        cache.add(GENERATION, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION)
    value = compute()
    cache.set(key, (generation, value), KEPT_FOR)
    return value


def _new_generation() -> None:
    cache.set(GENERATION, uuid.uuid4().hex, None)


def forget_on_commit(**_signal) -> None:
    """Compute every frontier again, now and once the write's transaction commits.

    Again after the commit: a page read between the two would see the rows as
    they were before the write, and keep them under the first new generation.
    """
    _new_generation()
    transaction.on_commit(_new_generation)


def _forget_groups(action: str, **_signal) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        forget_on_commit()


def connect() -> None:
    """Forget on every write that can change a frontier (``CapabilityConfig.ready``)."""
    from portal.accounts.models import Agency, Membership, Organization
    from portal.capability.models import JumpEvaluation, RoutingRequest
    from portal.cases.models import (
        Benchmark,
        CaseRouting,
        EvalResult,
        Submission,
        SubmissionGroupObjectPermission,
        SubmissionUserObjectPermission,
    )

    for model in (
        EvalResult,
        JumpEvaluation,
        Submission,
        CaseRouting,
        RoutingRequest,
        SubmissionUserObjectPermission,
        SubmissionGroupObjectPermission,
        Membership,
        Agency,
        Organization,
        Benchmark,
    ):
        uid = f"capability.kept.{model._meta.label_lower}"
        post_save.connect(forget_on_commit, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(forget_on_commit, sender=model, dispatch_uid=uid + ".delete")
    m2m_changed.connect(
        _forget_groups,
        sender=get_user_model().groups.through,
        dispatch_uid="capability.kept.user_groups",
    )
