"""Reads of discussions that more than one page needs, each starting from
``Thread.objects.visible_to``: the lists, the unread counts, search and the
people a new message is for."""

import functools

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from portal.accounts.models import Membership, User
from portal.accounts.visibility import keeps_permission_ids, membership_key, stand_in
from portal.discussions.models import (
    THREAD_SEARCH_CONFIG,
    Message,
    ReadState,
    Thread,
    ThreadQuerySet,
)


def _with_activity(user, threads: ThreadQuerySet) -> QuerySet[Thread]:
    """``threads``, which this person reads, with their counts and audience, newest
    activity first."""
    return (
        threads.with_activity(user)
        .select_related("agency", "organization")
        .order_by("-last_message_at", "-pk")
    )


def threads_for(user) -> QuerySet[Thread]:
    """Every thread this person reads, newest activity first, with its counts."""
    return _with_activity(user, Thread.objects.visible_to(user)).select_related("case")


def threads_on_case(user, case, *, agency_on_case: bool | None = None) -> QuerySet[Thread]:
    """The threads on one case this person reads (the case's Discussion pages).

    Their lists never name the case, which their page is about: it is not joined.
    ``agency_on_case``: see ``ThreadQuerySet.visible_on_case``.
    """
    return _with_activity(
        user, Thread.objects.visible_on_case(user, case, agency_on_case=agency_on_case)
    )


def threads_for_operator(user, case) -> QuerySet[Thread]:
    """The threads on ``case`` addressed to this operator's organization (the grant page)."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.role not in Membership.OPERATOR_ROLES:
        return Thread.objects.none()
    return threads_on_case(user, case)


def unread_message_count(user) -> int:
    """Messages this person has not read in every thread they read: one query.

    A message counts until the person's read state for its thread has reached
    it; their own messages never count.
    """
    read_up_to = ReadState.objects.filter(
        user_id=user.pk, thread_id=OuterRef("thread_id"), last_read_id__gte=OuterRef("pk")
    )
    return (
        Message.objects.filter(thread__in=Thread.objects.visible_to(user).values("pk"))
        .exclude(author_id=user.pk)
        .exclude(Exists(read_up_to))
        .count()
    )


def messages_of(thread) -> QuerySet[Message]:
    """A thread's messages with what their page shows, oldest first."""
    return thread.messages.select_related("author", "agency", "organization").prefetch_related(
        "attachments"
    )


def readers(thread) -> list[User]:
    """Everyone who may read ``thread``: exactly the people ``visible_to`` lets in.

    The candidates are the people of the units the marking could reach (every
    agency routed to the case, the developer, the addressed operator); each is
    then asked through ``Thread.objects.visible_to`` itself, so whoever is told
    is someone who can read the thread, and nobody else.
    """
    case = thread.case
    units = Q(membership__agency_id__in=case.routings.values("agency_id"))
    if thread.marking == Thread.Marking.DEVELOPER:
        units |= Q(membership__organization_id=case.developer_id)
    if thread.marking == Thread.Marking.OPERATOR:
        units |= Q(membership__organization_id=thread.organization_id)
    candidates = User.objects.filter(units, is_active=True).select_related("membership")
    return [
        person
        for person in candidates
        if Thread.objects.visible_to(person).filter(pk=thread.pk).exists()
    ]


def search_threads(user, text: str) -> QuerySet[Thread]:
    """Threads this person reads whose subject or messages match ``text``; none for no text.

    On PostgreSQL the subject and each message are matched on their stored
    ``search_vector`` (GIN indexes ``thread_search_vector`` and
    ``message_search_vector``), never parsed at query time; SQLite matches
    substrings.
    """
    text = text.strip()
    if not text:
        return Thread.objects.none()
    visible = _searchable_threads(membership_key(user)).all()
    matching: QuerySet
    by_subject: QuerySet
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=THREAD_SEARCH_CONFIG, search_type="websearch")
        matching = Message.objects.filter(search_vector=query)
        by_subject = Thread.objects.filter(search_vector=query)
    else:
        matching = Message.objects.filter(body__icontains=text)
        by_subject = Thread.objects.filter(subject__icontains=text)
    return visible.filter(
        Q(pk__in=by_subject.values("pk")) | Q(pk__in=matching.values("thread_id"))
    ).order_by("-created_at", "-pk")


@keeps_permission_ids
@functools.lru_cache(maxsize=256)
def _searchable_threads(key: tuple) -> QuerySet[Thread]:
    """``Thread.objects.visible_to`` with the row's relations, built once per
    process for each person and membership (``membership_key``); never evaluated
    itself: each search reads afresh from its own copy (``.all()``)."""
    return Thread.objects.visible_to(stand_in(key)).select_related("case", "agency", "organization")
