"""Discussion threads on a case, each with a handling marking that decides who reads it.

A thread's marking is fixed when it starts:

- ``developer``: the developer's people and the agencies on the case;
- ``interagency``: the agencies on the case only;
- ``agency_only``: the staff of one agency on the case (``agency``);
- ``operator``: the agencies on the case and one operator organization
  (``organization``), about its evaluation report.

"The agencies on the case" are the staff of each routed agency who may see
the case (its coordinators, its reviewers once they accepted).
``Thread.objects.visible_to`` says it once, in SQL; every list, count, search,
download and list of people to tell starts from it.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import BigIntegerField, Count, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.accounts.models import Agency, Membership, Organization
from portal.cases.models import CaseStatus, Submission
from portal.core.search import stored_search_vector
from portal.files.models import StoredFile


class Marking(models.TextChoices):
    """Who reads a thread, from the most to the least restrictive."""

    AGENCY_ONLY = "agency_only", "One agency only"
    INTERAGENCY = "interagency", "Agencies only (interagency)"
    DEVELOPER = "developer", "The developer and the agencies"
    OPERATOR = "operator", "The agencies and one operator"


def _agency_reads(membership) -> Q:
    """Of the threads on an agency's case, the ones its staff read: all but another
    agency's agency-only threads."""
    return ~Q(marking=Marking.AGENCY_ONLY) | Q(agency_id=membership.agency_id)


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The threads this person may read, as one filter: never checked row by row.

        - agency staff: threads of the cases they can see that are routed to
          their agency, except another agency's agency-only threads;
        - the developer's people: their submitted cases' threads marked developer;
        - operators: the threads addressed to their organization.
        """
        membership = getattr(user, "membership", None) if user.is_authenticated else None
        if membership is None:
            return self.none()
        if membership.agency_id is not None:
            cases = (
                Submission.objects.visible_to(user)
                .filter(routings__agency_id=membership.agency_id)
                .values("pk")
            )
            return self.filter(case__in=cases).filter(_agency_reads(membership))
        if membership.role in Membership.DEVELOPER_ROLES:
            return self.filter(
                marking=Marking.DEVELOPER, case__developer_id=membership.organization_id
            ).exclude(case__status=CaseStatus.DRAFT)
        if membership.role in Membership.OPERATOR_ROLES:
            return self.filter(marking=Marking.OPERATOR, organization_id=membership.organization_id)
        return self.none()

    def visible_on_case(self, user, case, *, agency_on_case: bool | None = None):
        """``visible_to(user)`` on one case: the same threads.

        ``agency_on_case`` is whether the case is one of the agency staff's cases
        (they see it and it is routed to their agency), when the caller already
        asked (``portal.discussions.access.agency_on_case``): it spares the
        subquery of ``visible_to``. Nobody else's answer depends on it.
        """
        membership = getattr(user, "membership", None) if user.is_authenticated else None
        if agency_on_case is None or membership is None or membership.agency_id is None:
            return self.visible_to(user).filter(case=case)
        if not agency_on_case:
            return self.none()
        return self.filter(case=case).filter(_agency_reads(membership))

    def with_activity(self, user):
        """Each thread with its message count, its latest message's time and how many
        of its messages this person has not read (their own never count)."""
        last_read = ReadState.objects.filter(user_id=user.pk, thread_id=OuterRef("pk")).values(
            "last_read_id"
        )[:1]
        return self.annotate(
            read_up_to=Coalesce(Subquery(last_read), Value(0), output_field=BigIntegerField()),
            message_count=Count("messages"),
            last_message_at=Max("messages__created_at"),
            unread=Count(
                "messages",
                filter=Q(messages__pk__gt=F("read_up_to")) & ~Q(messages__author_id=user.pk),
            ),
        )


# Subjects and messages are prose: the "english" configuration stems their words.
THREAD_SEARCH_CONFIG = "english"


class Thread(models.Model):
    Marking = Marking

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="threads")
    subject = models.CharField(max_length=200)
    marking = models.CharField(max_length=20, choices=Marking.choices)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The one agency that reads an agency-only thread.",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The operator organization an operator thread is addressed to.",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The subject's words for search (portal.core.search): written by PostgreSQL, NULL on SQLite.
    search_vector = stored_search_vector("subject", config=THREAD_SEARCH_CONFIG)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(marking="agency_only") & Q(agency__isnull=False))
                | (~Q(marking="agency_only") & Q(agency__isnull=True)),
                name="thread_agency_only_names_its_agency",
                violation_error_message="An agency-only thread names its agency, no other does.",
            ),
            models.CheckConstraint(
                condition=(Q(marking="operator") & Q(organization__isnull=False))
                | (~Q(marking="operator") & Q(organization__isnull=True)),
                name="thread_operator_names_its_organization",
                violation_error_message="An operator thread names its operator, no other does.",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "marking", "agency"]),
            models.Index(fields=["organization", "marking"]),
            # Search (portal.discussions.selectors.search_threads), PostgreSQL only.
            GinIndex(fields=["search_vector"], name="thread_search_vector"),
        ]

    def __str__(self):
        return self.subject

    def audience(self) -> str:
        """Who reads the thread, in words for its page."""
        if self.marking == Marking.AGENCY_ONLY and self.agency is not None:
            return f"{self.agency.acronym} only"
        if self.marking == Marking.OPERATOR and self.organization is not None:
            return f"The agencies and {self.organization.name}"
        return self.get_marking_display()


class Message(models.Model):
    """Plain text by one person; toward the developer and operators it is signed by
    the writer's agency, never by a government person's name."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The writer's agency when they wrote it (government writers).",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The writer's organization when they wrote it (developer and operators).",
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # The text's words for search (portal.core.search): written by PostgreSQL, NULL on SQLite.
    search_vector = stored_search_vector("body", config=THREAD_SEARCH_CONFIG)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            # Search (portal.discussions.selectors.search_threads), PostgreSQL only.
            GinIndex(fields=["search_vector"], name="message_search_vector"),
        ]

    def __str__(self):
        return f"Message in {self.thread_id} by {self.author_id}"

    @property
    def signature_for_government(self) -> str:
        return self.signature(for_government=True)

    @property
    def signature_for_others(self) -> str:
        return self.signature(for_government=False)

    def signature(self, *, for_government: bool) -> str:
        """Who wrote it: the person and agency among government staff, the agency
        alone toward everyone else; the organization for its people."""
        if self.agency is not None:
            if for_government:
                return f"{self.author.display_name()} ({self.agency.acronym})"
            return self.agency.acronym
        if self.organization is not None:
            return f"{self.author.display_name()} ({self.organization.name})"
        return self.author.display_name()


class MessageAttachment(StoredFile):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        ordering = ["uploaded_at", "pk"]

    storage_prefix = "discussions"

    def storage_folder(self) -> str:
        return f"{self.storage_prefix}/{self.message.thread.case_id}"


class ReadState(models.Model):
    """How far one person has read one thread: the last message they saw."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_states")
    last_read = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="one_read_state_per_thread")
        ]

    def __str__(self):
        return f"{self.user_id} read {self.thread_id} to {self.last_read_id}"
