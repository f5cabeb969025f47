"""Reviewer work on a case: assignments, findings, information requests and the
recommendation. Discussions (which replaced the reviewers' notes) are
``portal.discussions``."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from portal.accounts.models import Agency
from portal.cases.models import Submission
from portal.core.search import stored_search_vector
from portal.files.models import StoredFile
from reviews import loads


class AssignmentQuerySet(models.QuerySet):
    """Its bulk writes forget the reviewers' cached open loads (``reviews.loads``),
    as ``Assignment.save`` and ``delete`` do: every write path goes through here."""

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        loads.forget_on_commit()
        return created

    def update(self, **kwargs):
        loads.forget_on_commit()
        return super().update(**kwargs)

    def delete(self):
        loads.forget_on_commit()
        return super().delete()


class Assignment(models.Model):
    """A reviewer of an agency, invited to a case by the agency's coordinator."""

    class Role(models.TextChoices):
        LEAD = "lead", "Lead reviewer"
        REVIEWER = "reviewer", "Reviewer"
        OBSERVER = "observer", "Observer"

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        COMPLETED = "completed", "Completed"
        REMOVED = "removed", "Removed"

    ACTIVE = (Status.INVITED, Status.ACCEPTED)
    # An assignment that still holds its place on the case (no duplicates of these).
    HOLDING = (Status.INVITED, Status.ACCEPTED, Status.COMPLETED)

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REVIEWER)
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The conflict-of-interest attestation, given before accepting or declining.
    attested_at = models.DateTimeField(null=True, blank=True)
    financial_interest = models.BooleanField(default=False)
    recent_employment = models.BooleanField(
        default=False, help_text="Employed by the developer in the last two years."
    )
    other_conflict = models.TextField(blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "reviewer"],
                condition=Q(status__in=["invited", "accepted", "completed"]),
                name="one_assignment_per_reviewer_and_case",
                violation_error_message="This person is already assigned to the case.",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "status", "due_date"]),
            models.Index(fields=["case", "status"]),
            # With the case: the queue's "assigned or not" and the reviewer
            # loads read the agency's active assignments from the index alone.
            models.Index(fields=["agency", "status", "case"], name="assignment_agency_open_cases"),
            # My cases: a reviewer's current assignments, soonest due first.
            models.Index(
                fields=["reviewer", "due_date"],
                condition=Q(status__in=["invited", "accepted", "completed"]),
                name="assignment_holding_by_due",
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} on {self.case} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        loads.forget_on_commit()

    def delete(self, *args, **kwargs):
        loads.forget_on_commit()
        return super().delete(*args, **kwargs)

    @property
    def declared_conflict(self) -> bool:
        return self.financial_interest or self.recent_employment or bool(self.other_conflict)


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MODERATE = 2, "Moderate"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class Marking(models.TextChoices):
    """Who may read a finding, from most to least restrictive."""

    AGENCY_ONLY = "agency_only", "Agency only"
    INTERAGENCY = "interagency", "Interagency"
    DEVELOPER = "developer", "Developer"
    OPERATORS = "operators", "Operators"


def readable_by_agency(agency_id: int) -> Q:
    """The markings an agency's staff may read on a case they may see: their own
    agency's agency-only findings and every finding marked interagency or wider."""
    return Q(marking=Marking.AGENCY_ONLY, agency_id=agency_id) | Q(
        marking__in=[Marking.INTERAGENCY, Marking.DEVELOPER, Marking.OPERATORS]
    )


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The findings this person may read, as one filter: never checked row by row.

        - agency staff: findings of cases they can see, marked agency-only by
          their own agency, or interagency and wider;
        - the developer's people: their cases' findings marked developer or operators;
        - operators: findings marked operators on cases their organization has
          access to (the ``read_operator_findings`` permission on the case).
        """
        from guardian.shortcuts import get_objects_for_user

        membership = getattr(user, "membership", None) if user.is_authenticated else None
        if membership is None:
            return self.none()
        if membership.agency_id:
            cases = Submission.objects.visible_to(user).values("pk")
            return self.filter(case__in=cases).filter(readable_by_agency(membership.agency_id))
        if membership.role in ("submitter", "org_admin"):
            return self.filter(
                case__developer_id=membership.organization_id,
                marking__in=[Marking.DEVELOPER, Marking.OPERATORS],
            ).exclude(case__status="draft")
        cases = get_objects_for_user(
            user,
            "cases.read_operator_findings",
            klass=Submission,
            accept_global_perms=False,
            with_superuser=False,
        ).values("pk")
        return self.filter(case__in=cases, marking=Marking.OPERATORS)


# Finding titles are prose: the "english" configuration stems their words, so
# "jailbreak" finds "Jailbreaks persist".
FINDING_SEARCH_CONFIG = "english"


class Finding(models.Model):
    class Category(models.TextChoices):
        CYBER_OFFENSE = "cyber_offense", "Cyber offense"
        CBRN = "cbrn", "CBRN"
        AUTONOMY = "autonomy", "Autonomy"
        DECEPTION = "deception", "Deception"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        MITIGATED = "mitigated", "Mitigated"
        WITHDRAWN = "withdrawn", "Withdrawn"

    Severity = Severity
    Marking = Marking

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="findings")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="findings")
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    description = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    marking = models.CharField(
        max_length=20,
        choices=Marking.choices,
        default=Marking.AGENCY_ONLY,
        help_text="Who may read the finding. The most restrictive marking is the default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The title's words for search (portal.core.search): written by PostgreSQL,
    # NULL on SQLite. Content, like the title: the admin never shows it.
    search_vector = stored_search_vector("title", config=FINDING_SEARCH_CONFIG)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-severity", "-created_at"]
        indexes = [
            models.Index(fields=["case", "marking", "agency"]),
            models.Index(fields=["case", "severity"]),
            # Search (reviews.selectors.search_findings) on the stored vector.
            # Created on PostgreSQL only (SQLite matches substrings).
            GinIndex(fields=["search_vector"], name="finding_search_vector"),
        ]

    def __str__(self):
        return self.title


class FindingEvidence(StoredFile):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "finding evidence"
        ordering = ["uploaded_at"]

    storage_prefix = "evidence"

    def storage_folder(self) -> str:
        return f"{self.storage_prefix}/{self.finding.case_id}"


class InformationRequest(models.Model):
    """A question to the developer. While any is open the review clock is paused."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        WITHDRAWN = "withdrawn", "Withdrawn"

    case = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="information_requests"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    response_due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "status"]),
            models.Index(fields=["status", "response_due"]),
        ]

    def __str__(self):
        return f"Request on {self.case}: {self.question[:50]}"


class RequestAttachment(StoredFile):
    request = models.ForeignKey(
        InformationRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    storage_prefix = "answers"

    def storage_folder(self) -> str:
        return f"{self.storage_prefix}/{self.request.case_id}"


class Recommendation(models.Model):
    """The review's outcome: drafted by the lead reviewer, issued by a coordinator."""

    class Outcome(models.TextChoices):
        NO_CONCERNS = "no_concerns", "No concerns"
        MITIGATIONS = "mitigations", "Concerns with mitigations"
        DELAY = "delay", "Recommend delaying release"

    case = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="recommendation")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    summary = models.TextField()
    conditions = models.TextField(blank=True)
    # What the critical-infrastructure operators with access to the case may
    # read once the recommendation is issued (reviews.selectors.operator_recommendation).
    for_operators = models.TextField(blank=True)
    # Set by the lead: the date by which the participating agencies give their
    # positions. After it, a silent agency counts as "no response".
    response_deadline = models.DateField(null=True, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(auto_now=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.get_outcome_display()} for {self.case}"

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class Stance(models.TextChoices):
    CONCUR = "concur", "Concur"
    CONCUR_WITH_CONDITIONS = "conditions", "Concur with conditions"
    DISSENT = "dissent", "Dissent"
    # Recorded for a silent participant when the recommendation is issued after
    # the response deadline; never chosen in a form.
    NO_RESPONSE = "no_response", "No response"


# The stances whose text (the conditions, the dissent) is required.
STANCES_WITH_TEXT = (Stance.CONCUR_WITH_CONDITIONS, Stance.DISSENT)


class PositionMarking(models.TextChoices):
    """Who reads a position: the agencies on the case, or the developer too."""

    INTERAGENCY = "interagency", "Interagency"
    DEVELOPER = "developer", "Shared with the developer"


class AgencyPosition(models.Model):
    """A participating agency's position on the joint recommendation of a case.

    Recorded by the agency's coordinator while the recommendation is a draft
    (and changed freely until it is issued); after issue it changes only by an
    amendment (``PositionAmendment``), with its own reason.
    """

    Stance = Stance
    Marking = PositionMarking

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="positions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="positions")
    stance = models.CharField(max_length=20, choices=Stance.choices)
    text = models.TextField(blank=True)
    marking = models.CharField(
        max_length=20, choices=PositionMarking.choices, default=PositionMarking.INTERAGENCY
    )
    # Empty for "no response", which nobody recorded.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    amended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__acronym"]
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="one_position_per_agency")
        ]

    def __str__(self):
        return f"{self.agency} on {self.case}: {self.get_stance_display()}"

    @property
    def shared_with_developer(self) -> bool:
        return self.marking == PositionMarking.DEVELOPER


class PositionAmendment(models.Model):
    """A change to a position after the recommendation was issued: what it was, and why."""

    position = models.ForeignKey(
        AgencyPosition, on_delete=models.CASCADE, related_name="amendments"
    )
    stance_before = models.CharField(max_length=20, choices=Stance.choices)
    text_before = models.TextField(blank=True)
    marking_before = models.CharField(max_length=20, choices=PositionMarking.choices)
    reason = models.TextField()
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField()

    class Meta:
        ordering = ["amended_at", "pk"]

    def __str__(self):
        return f"Amendment of {self.position}"
