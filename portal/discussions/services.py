"""Writing discussions: starting a thread, posting a message, reading up to the latest.

Every write checks the actor against the same rules the pages offer
(``portal.discussions.access``), stores attachments all or nothing
(``portal.files.store.storing``), audits, and tells exactly the people who
may read the thread (``selectors.readers``) once the transaction commits.
"""

from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.audit import events as audit
from portal.cases.services.lifecycle import CaseActionRefused, locked_case
from portal.discussions import unread
from portal.discussions.access import granted_operators, startable_markings
from portal.discussions.models import Marking, Message, MessageAttachment, ReadState, Thread
from portal.discussions.selectors import readers
from portal.files.store import storing
from portal.files.uploads import StreamedFile
from portal.notifications.services import notify

MAX_BODY = 10_000
MAX_ATTACHMENTS = 5


class DiscussionRefused(CaseActionRefused):
    """The discussion action is not allowed; the message says why."""


def thread_url(thread) -> str:
    return reverse("discussions:thread", args=[thread.pk])


def start_thread(
    *,
    actor,
    case_id: int,
    subject: str,
    marking: str,
    body: str,
    organization_id: int | None = None,
    attachments: Sequence[tuple[StreamedFile, str]] = (),
) -> Thread:
    """Start a thread with its first message. A marking wider than the actor may
    set, or an operator without a live grant, is refused and nothing changes."""
    subject = subject.strip()
    with storing(streamed for streamed, _name in attachments) as store, transaction.atomic():
        case = locked_case(case_id)
        allowed = startable_markings(actor, case)
        if not allowed:
            raise DiscussionRefused("You cannot start a discussion on this case.")
        if marking not in allowed:
            label = Marking(marking).label if marking in Marking.values else marking
            raise DiscussionRefused(
                f"You may not start a thread marked “{label}”. "
                f"Choose one of: {', '.join(Marking(m).label for m in allowed)}."
            )
        if not subject:
            raise DiscussionRefused("Give the thread a subject.")
        membership = actor.membership
        thread = Thread(case=case, subject=subject[:200], marking=marking, started_by=actor)
        if marking == Marking.AGENCY_ONLY:
            thread.agency_id = membership.agency_id
        if marking == Marking.OPERATOR:
            thread.organization_id = _addressed_operator(actor, case, organization_id)
        thread.full_clean()
        thread.save()
        message = _write(actor, thread, body, attachments, store)
        audit.record(
            "thread.started",
            actor=actor,
            target=case,
            details={"thread": thread.pk, "marking": marking, "message": message.pk},
        )
        _tell_readers(actor, thread, f"New discussion on {case.reference}: {thread.subject}")
    return thread


def post_message(
    *,
    actor,
    thread_id: int,
    body: str,
    attachments: Sequence[tuple[StreamedFile, str]] = (),
) -> Message:
    """A reply in a thread the actor reads; a thread out of reach is refused."""
    with storing(streamed for streamed, _name in attachments) as store, transaction.atomic():
        thread = Thread.objects.select_related("case").filter(pk=thread_id).first()
        if thread is None:
            raise DiscussionRefused("No such thread.")
        locked_case(thread.case_id)
        if not Thread.objects.visible_to(actor).filter(pk=thread.pk).exists():
            raise DiscussionRefused("No such thread.")
        message = _write(actor, thread, body, attachments, store)
        audit.record(
            "message.posted",
            actor=actor,
            target=thread.case,
            details={"thread": thread.pk, "message": message.pk, "attachments": len(attachments)},
        )
        _tell_readers(actor, thread, f"New message on {thread.case.reference}: {thread.subject}")
    return message


def mark_read(*, reader, thread: Thread) -> None:
    """Move the reader's place in the thread to its latest message (never backwards)."""
    latest = thread.messages.order_by("-pk").values_list("pk", flat=True).first()
    if latest is None:
        return
    state, created = ReadState.objects.get_or_create(
        user=reader, thread=thread, defaults={"last_read_id": latest}
    )
    if not created and state.last_read_id < latest:
        ReadState.objects.filter(pk=state.pk, last_read_id__lt=latest).update(
            last_read_id=latest, read_at=timezone.now()
        )
    unread.forget_on_commit([reader.pk])


def _addressed_operator(actor, case, organization_id: int | None) -> int:
    """The operator organization an operator thread goes to: the actor's own, or
    for a coordinator one holding a live grant on the case."""
    membership = actor.membership
    if membership.organization_id is not None:
        return membership.organization_id
    if organization_id is None:
        raise DiscussionRefused("Choose the operator the thread is addressed to.")
    if not granted_operators(case).filter(pk=organization_id).exists():
        raise DiscussionRefused("That operator holds no live grant on this case.")
    return organization_id


def _write(actor, thread, body: str, attachments, store) -> Message:
    body = body.strip()
    if not body:
        raise DiscussionRefused("Write the message first.")
    if len(body) > MAX_BODY:
        raise DiscussionRefused(f"A message has at most {MAX_BODY:,} characters.")
    if len(attachments) > MAX_ATTACHMENTS:
        raise DiscussionRefused(f"Attach at most {MAX_ATTACHMENTS} files.")
    membership = actor.membership
    message = Message.objects.create(
        thread=thread,
        author=actor,
        agency_id=membership.agency_id,
        organization_id=membership.organization_id,
        body=body,
    )
    for streamed, name in attachments:
        store(MessageAttachment(message=message), streamed, name=name)
    # The writer has read their own message.
    ReadState.objects.update_or_create(
        user=actor, thread=thread, defaults={"last_read": message, "read_at": timezone.now()}
    )
    return message


def _tell_readers(actor, thread: Thread, title: str) -> None:
    """Everyone who reads the thread but the writer; the text stays in the portal."""
    writer = actor.membership.agency or actor.membership.organization
    told = [person for person in readers(thread) if person.pk != actor.pk]
    unread.forget_on_commit([actor.pk, *(person.pk for person in told)])
    notify(
        told,
        title=title,
        body=f"From {getattr(writer, 'acronym', '') or writer}. Sign in to read it.",
        case=thread.case,
        url=thread_url(thread),
    )
