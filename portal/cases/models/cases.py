"""The case: a model submitted for pre-release review, its clock and its evidence.

A case moves draft → submitted → in review ⇄ information requested →
recommendation issued → released, and may be withdrawn from any state before
release. The transitions live in ``portal.cases.services.lifecycle``; this module holds
the data and the rules that can be read off it.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import connection, models
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.accounts.models.people import Agency, Organization
from portal.core.days import days_until
from portal.core.hooks import cases_updated
from portal.core.search import stored_search_vector


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    INFO_REQUESTED = "info_requested", "Information requested"
    RECOMMENDATION_ISSUED = "recommendation_issued", "Recommendation issued"
    RELEASED = "released", "Released"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Model names are names, not prose: the "simple" configuration keeps every word
# as typed (no stemming, no stop words).
CASE_SEARCH_CONFIG = "simple"


# The statuses of a case whose review is under way: only such a case waits for a reviewer.
UNDER_REVIEW = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)


def routing_staffed():
    """A routing's case has an active reviewer of the agency, or needs none (review over).

    False sorts first: the queue's "unassigned first" means cases under review
    with nobody on them, never a case whose recommendation is already issued.
    The queue orders by this expression and its indexes store it.
    """
    return ExpressionWrapper(
        Q(reviewers__gt=0) | ~Q(case_status__in=UNDER_REVIEW), output_field=BooleanField()
    )


class SubmissionQuerySet(models.QuerySet):
    def visible_to(self, user, *, probe: bool = False):
        """The cases this person may see: one semi-join over guardian's tables.

        ``probe``: the same cases, checked row by row (``with_object_perm``).
        """
        from portal.accounts.visibility import with_object_perm

        return with_object_perm(
            self,
            user,
            "view_submission",
            SubmissionUserObjectPermission,
            SubmissionGroupObjectPermission,
            probe=probe,
        )

    def open(self):
        return self.exclude(status__in=[CaseStatus.RELEASED, CaseStatus.WITHDRAWN])

    def with_pause_start(self):
        """Each case with ``clock_started`` (the ledger has begun) and ``clock_paused_at``
        (when its open pause began: the first pause after the last resume), so that
        ``Submission.header_clock`` reads the clock from the stored due date, in the
        case's own query, without the ledger."""
        resumed = ClockEvent.objects.filter(
            case_id=OuterRef(OuterRef("pk")), kind=ClockEvent.Kind.RESUMED
        )
        open_pause = (
            ClockEvent.objects.filter(case_id=OuterRef("pk"), kind=ClockEvent.Kind.PAUSED)
            .filter(
                Q(at__gt=Subquery(resumed.order_by("-at", "-pk").values("at")[:1]))
                | ~Exists(resumed)
            )
            .order_by("at", "pk")
            .values("at")[:1]
        )
        started = ClockEvent.objects.filter(case_id=OuterRef("pk"), kind=ClockEvent.Kind.STARTED)
        return self.annotate(clock_started=Exists(started), clock_paused_at=Subquery(open_pause))

    def update(self, **kwargs):
        """Update in bulk, then say which fields changed (``portal.core.hooks.cases_updated``):
        what other apps keep of a case (cached counts) hears of writes no ``save`` makes."""
        updated = super().update(**kwargs)
        cases_updated.send(sender=Submission, fields=frozenset(kwargs))
        return updated


class Submission(models.Model):
    """A case: one model version submitted by one AI developer."""

    class AccessMode(models.TextChoices):
        API = "api", "API only"
        OPEN_WEIGHTS = "open_weights", "Open weights"
        BOTH = "both", "API and open weights"

    Status = CaseStatus

    number = models.CharField(
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="FMR-YYYY-NNNN, given when the case is submitted.",
    )
    developer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"kind": Organization.Kind.DEVELOPER},
    )
    model_name = models.CharField(max_length=120)
    model_version = models.CharField(max_length=60)
    description = models.TextField(blank=True)
    planned_release_date = models.DateField(null=True, blank=True)
    access_mode = models.CharField(max_length=20, choices=AccessMode.choices, blank=True)
    deployment_notes = models.TextField(blank=True)
    contact_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=30, choices=CaseStatus.choices, default=CaseStatus.DRAFT, editable=False
    )
    short_notice = models.BooleanField(default=False, editable=False)
    # Set at submit when any developer-reported score jumps past the frontier
    # (portal.capability.frontier), so every list can flag and filter it in SQL.
    capability_jump = models.BooleanField(default=False, editable=False)
    # When a jump flagged earlier stopped holding after a corrected score (and no
    # other score of the case is a jump); nullable, so the column is added in place.
    capability_jump_retracted_at = models.DateTimeField(null=True, blank=True, editable=False)
    short_notice_reason = models.TextField(blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Derived from the clock ledger (ClockEvent) and stored so that lists can
    # sort and filter by it in SQL; refreshed whenever the ledger changes.
    review_due = models.DateField(null=True, blank=True, editable=False)
    clock_paused = models.BooleanField(default=False, editable=False)
    # The day the recommendation was issued and the day the model actually became
    # public (the developer says so when marking the case released); together they
    # tell a release that came before the recommendation.
    recommendation_issued_on = models.DateField(null=True, blank=True, editable=False)
    released_on = models.DateField(null=True, blank=True, editable=False)
    routed_agencies = models.ManyToManyField(
        Agency, through="CaseRouting", related_name="cases", blank=True
    )
    # The agency that leads the review: the first the case was routed to, until
    # its coordinator hands the lead to another routed agency. It drafts and
    # issues the recommendation; every other routed agency is a participant.
    # Written only by the routing services (portal.cases.services.lifecycle).
    lead_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The words search matches (portal.core.search): written by PostgreSQL, NULL on SQLite.
    search_vector = stored_search_vector("model_name", "model_version", config=CASE_SEARCH_CONFIG)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = "case"
        ordering = ["-created_at"]
        permissions = [
            ("review_submission", "Work on the case as an assigned reviewer"),
            # Held by an operator organization's group while it has access to the
            # case: it may read findings and reports marked for operators.
            ("read_operator_findings", "Read findings marked for operators"),
        ]
        indexes = [
            models.Index(fields=["developer", "status"]),
            # The developer's list: newest first, one organization at a time.
            models.Index(fields=["developer", "-created_at"], name="case_developer_newest"),
            models.Index(fields=["status", "review_due"]),
            models.Index(
                fields=["short_notice"], condition=Q(short_notice=True), name="case_short_notice"
            ),
            models.Index(
                fields=["capability_jump"],
                condition=Q(capability_jump=True),
                name="case_capability_jump",
            ),
            # Search (portal.cases.selectors.search_cases) on the stored vector.
            # Created on PostgreSQL only (SQLite matches substrings).
            GinIndex(fields=["search_vector"], name="case_search_vector"),
            # Search lists matches newest first and stops after a page.
            models.Index(fields=["-created_at", "-id"], name="case_newest"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return self.number or f"Draft {self.pk}"

    @property
    def title(self) -> str:
        return f"{self.model_name} {self.model_version}"

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT

    @property
    def is_closed(self) -> bool:
        return self.status in {CaseStatus.RELEASED, CaseStatus.WITHDRAWN}

    @property
    def release_before_review_due(self) -> bool:
        """The planned release comes before the review is due: the review may be too late.

        Only while the review is under way; a closed case or one whose
        recommendation is issued no longer waits for it.
        """
        return (
            self.status in UNDER_REVIEW
            and self.planned_release_date is not None
            and self.review_due is not None
            and self.planned_release_date < self.review_due
        )

    @property
    def released_before_recommendation(self) -> bool:
        """The model became public before the recommendation was issued (or with none)."""
        return self.released_on is not None and (
            self.recommendation_issued_on is None
            or self.released_on < self.recommendation_issued_on
        )

    def notice_deadline(self, submitted_on: date | None = None) -> date:
        """The earliest release date with full notice: submitted + REVIEW_NOTICE_DAYS."""
        submitted_on = submitted_on or timezone.localdate()
        return submitted_on + timedelta(days=settings.REVIEW_NOTICE_DAYS)

    def clock(self, today: date | None = None) -> "ReviewClock":
        return ReviewClock.from_events(list(self.clock_events.all()), today=today)

    def header_clock(self, today: date | None = None) -> "ReviewClock | StoredClock":
        """The due date, days left and pause of the case headers: from the stored due
        date and, on a case read ``with_pause_start``, the open pause's start (no
        query); from the ledger otherwise (``clock``, one query)."""
        if "clock_paused_at" not in vars(self):
            return self.clock(today)
        paused_at = vars(self)["clock_paused_at"]
        if self.clock_paused and paused_at is None:
            return self.clock(today)  # a ledger out of step with its stored copy
        return StoredClock(
            stored_due=self.review_due if vars(self)["clock_started"] else None,
            paused_since=timezone.localdate(paused_at) if self.clock_paused else None,
            today=today or timezone.localdate(),
        )


class CaseRouting(models.Model):
    """Which agencies a case was sent to, when and by whom."""

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="routings")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="routings")
    routed_at = models.DateTimeField(default=timezone.now)
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What an agency's queue shows and sorts on, kept here so that the queue is
    # filtered, sorted, paged and counted from its routings alone and joins only
    # the 25 cases of a page: copies of the case's status and stored due date,
    # and the number of the agency's reviewers invited or assigned to the case.
    # Database triggers write all three, whatever writes the case, the routing
    # or an assignment (migrations cases 0002 and reviews 0002); Python never
    # does. ``manage.py check_queue_copies`` compares them with their sources.
    case_status = models.CharField(
        max_length=30, choices=CaseStatus.choices, default=CaseStatus.DRAFT, editable=False
    )
    review_due = models.DateField(null=True, blank=True, editable=False)
    reviewers = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="routing_once_per_agency")
        ]
        # The queue's order: unassigned first, then soonest due. The open cases
        # (the default view) have an index of their own, read in order.
        indexes = [
            models.Index(
                F("agency"),
                routing_staffed(),
                F("review_due"),
                F("case"),
                condition=~Q(case_status__in=[CaseStatus.RELEASED, CaseStatus.WITHDRAWN]),
                name="routing_open_queue",
            ),
            models.Index(
                F("agency"),
                F("case_status"),
                routing_staffed(),
                F("review_due"),
                F("case"),
                name="routing_queue",
            ),
        ]

    def __str__(self):
        return f"{self.case} → {self.agency}"

    # Written by the database's triggers (see above).
    QUEUE_COPIES = ("case_status", "review_due", "reviewers")

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            # The triggers filled the copies in: read what they wrote, so the
            # object in hand does not show the fields' defaults.
            self.refresh_from_db(fields=self.QUEUE_COPIES)


class SubmissionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Submission, on_delete=models.CASCADE)


class SubmissionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Submission, on_delete=models.CASCADE)


class CaseNumberCounter(models.Model):
    """The last case number given out in each year."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"

    @classmethod
    def next_number(cls, year: int) -> str:
        """Allocate the next FMR-YYYY-NNNN atomically.

        One upsert statement: PostgreSQL and SQLite both lock the year's row
        for the statement, so two submissions at the same moment get different
        numbers without a retry loop.
        """
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            # Raw SQL is safe here: the table name comes from the model and the
            # year is a bound parameter.
            cursor.execute(
                f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608
                f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
                [year],
            )
            (last,) = cursor.fetchone()
        return f"FMR-{year}-{last:04d}"


class ClockEvent(models.Model):
    """One entry of a case's review-clock ledger."""

    class Kind(models.TextChoices):
        STARTED = "started", "Clock started"
        PAUSED = "paused", "Clock paused"
        RESUMED = "resumed", "Clock resumed"
        EXTENDED = "extended", "Review extended"

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="clock_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    days = models.PositiveIntegerField(
        default=0, help_text="Started: the notice period in days. Extended: days added."
    )
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.case}: {self.get_kind_display()} {self.at:%Y-%m-%d}"


class StoredClock:
    """What the case headers show of the review clock, from the stored due date.

    The stored date leaves an open pause out (``lifecycle._refresh_clock``): while
    paused, the due date moves day by day from it, as ``ReviewClock.due`` does.
    """

    def __init__(self, *, stored_due: date | None, paused_since: date | None, today: date):
        self.paused_since = paused_since
        self.today = today
        self.due: date | None = stored_due
        if stored_due is not None and paused_since is not None:
            self.due = stored_due + timedelta(days=(today - paused_since).days)

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def days_left(self) -> int | None:
        return days_until(self.due, now=self.today) if self.due else None

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left) if self.days_left is not None else 0


class ReviewClock:
    """The review clock derived from a case's ledger.

    due = start + notice days + extensions + paused days. A pause counts the
    calendar days from the day it began to the day it ended; while a pause is
    open the due date moves day by day, as if it ended today.
    """

    def __init__(self, *, started_on, notice_days, extension_days, paused_days, paused_since):
        self.started_on: date | None = started_on
        self.notice_days: int = notice_days
        self.extension_days: int = extension_days
        self.paused_days: int = paused_days
        self.paused_since: date | None = paused_since
        self.today: date  # set by from_events, the only constructor

    @classmethod
    def from_events(cls, events, today: date | None = None) -> "ReviewClock":
        today = today or timezone.localdate()
        started_on = None
        notice_days = extension_days = paused_days = 0
        paused_since = None
        for event in events:
            on = timezone.localdate(event.at)
            if event.kind == ClockEvent.Kind.STARTED and started_on is None:
                started_on, notice_days = on, event.days
            elif event.kind == ClockEvent.Kind.EXTENDED:
                extension_days += event.days
            elif event.kind == ClockEvent.Kind.PAUSED and paused_since is None:
                paused_since = on
            elif event.kind == ClockEvent.Kind.RESUMED and paused_since is not None:
                paused_days += (on - paused_since).days
                paused_since = None
        clock = cls(
            started_on=started_on,
            notice_days=notice_days,
            extension_days=extension_days,
            paused_days=paused_days,
            paused_since=paused_since,
        )
        clock.today = today
        return clock

    @property
    def running(self) -> bool:
        return self.started_on is not None and self.paused_since is None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    def _open_pause_days(self) -> int:
        return (self.today - self.paused_since).days if self.paused_since else 0

    @property
    def due(self) -> date | None:
        if self.started_on is None:
            return None
        total = self.notice_days + self.extension_days + self.paused_days + self._open_pause_days()
        return self.started_on + timedelta(days=total)

    @property
    def days_left(self) -> int | None:
        return days_until(self.due, now=self.today) if self.due else None

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left) if self.days_left is not None else 0

    @property
    def calendar_days(self) -> int:
        """Days since the clock started."""
        return (self.today - self.started_on).days if self.started_on else 0

    @property
    def government_days(self) -> int:
        """Days the clock ran: calendar days less the days it was paused."""
        return self.calendar_days - self.paused_days - self._open_pause_days()
