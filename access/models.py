"""Pre-public access for critical-infrastructure operators.

A developer grants an operator organization access to a case's artifacts (or
approves a coordinator's nomination). Access is live only between the grant's
start and end, for people who accepted the current terms, and until revoked:
every download request checks all of it at that moment.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.accounts.models import Organization
from portal.accounts.visibility import with_object_perm
from portal.cases.models import Artifact, Submission
from portal.files.models import Download, StoredFile


class Terms(models.Model):
    """A version of the pre-public access terms. The newest published one is current."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "terms"

    def __str__(self):
        return f"Terms v{self.version}: {self.title}"

    @classmethod
    def current(cls) -> "Terms | None":
        return cls.objects.filter(published_at__lte=timezone.now()).order_by("-version").first()


class TermsAcceptance(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    terms = models.ForeignKey(Terms, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once")
        ]

    def __str__(self):
        return f"{self.user} accepted v{self.terms.version}"


class AccessGrantQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Grants this person may see: one semi-join over guardian's tables."""
        return with_object_perm(
            self,
            user,
            "view_accessgrant",
            AccessGrantUserObjectPermission,
            AccessGrantGroupObjectPermission,
        )

    def live(self, at=None):
        """Active and inside their window right now."""
        at = at or timezone.now()
        return self.filter(status=AccessGrant.Status.ACTIVE, starts_at__lte=at, ends_at__gt=at)


class AccessGrant(models.Model):
    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    case = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="access_grants")
    operator = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="access_grants",
        limit_choices_to={"kind": Organization.Kind.OPERATOR},
    )
    all_artifacts = models.BooleanField(
        default=True, help_text="Every artifact of the case, including later versions."
    )
    artifacts = models.ManyToManyField(Artifact, blank=True, related_name="access_grants")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Access that ends when the model is released (the default) follows the planned
    # release date when the developer moves it; an end chosen on its own stays.
    ends_with_release = models.BooleanField(
        default=True,
        help_text="The end follows the case’s planned public release date when it moves.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "operator"],
                condition=Q(status__in=["nominated", "active"]),
                name="one_open_grant_per_case_and_operator",
                violation_error_message="This operator already has access to the case.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="grant_ends_after_it_starts",
                violation_error_message="Access must end after it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["operator", "status", "ends_at"]),
            models.Index(fields=["status", "ends_at"]),
        ]

    def __str__(self):
        return f"{self.case} → {self.operator} ({self.get_status_display()})"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.ACTIVE and self.starts_at <= at < self.ends_at

    def granted_artifacts(self):
        # Read for a whole list at once (``access.selectors.load_granted_artifacts``).
        loaded = vars(self).get("loaded_artifacts")
        if loaded is not None:
            return loaded
        if self.all_artifacts:
            return self.case.artifacts.all()
        return self.artifacts.all()


def grant_downloads():
    """Download records of requests made through a grant, with what the logs show.

    ``portal.files`` keeps one record of every download; an operator's names the
    grant it came through (``through``) and the artifact (``stored_file``).
    """
    return (
        Download.objects.filter(through_type=ContentType.objects.get_for_model(AccessGrant))
        .select_related("user")
        .prefetch_related("through__operator", "through__case", "stored_file")
    )


class AccessGrantUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AccessGrant, on_delete=models.CASCADE)


class AccessGrantGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AccessGrant, on_delete=models.CASCADE)


class EvaluationReport(models.Model):
    """An operator's own risk evaluation, sent back to the case."""

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MODERATE = "moderate", "Moderate"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Marking(models.TextChoices):
        AGENCY_ONLY = "agency_only", "Agencies only"
        DEVELOPER = "developer", "Agencies and the developer"

    grant = models.ForeignKey(AccessGrant, on_delete=models.PROTECT, related_name="reports")
    case = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="operator_reports")
    operator = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    risk = models.CharField(max_length=10, choices=Risk.choices)
    assessment = models.TextField()
    marking = models.CharField(
        max_length=20,
        choices=Marking.choices,
        default=Marking.AGENCY_ONLY,
        help_text="Who may read the report. The most restrictive marking is the default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title


class ReportFile(StoredFile):
    report = models.ForeignKey(EvaluationReport, on_delete=models.CASCADE, related_name="files")

    storage_prefix = "reports"

    def storage_folder(self) -> str:
        return f"{self.storage_prefix}/{self.report.case_id}"
