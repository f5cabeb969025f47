"""Artifacts: the files a case carries, stored once with their size and SHA-256."""

from django.conf import settings
from django.db import models

from portal.cases.models.cases import Submission
from portal.files.models import ResumableUpload, StoredFile


class Artifact(StoredFile):
    class Kind(models.TextChoices):
        WEIGHTS = "weights", "Model weights"
        MODEL_CARD = "model_card", "Model card"
        SYSTEM_CARD = "system_card", "System card"
        EVALUATION_REPORT = "evaluation_report", "Evaluation report"
        OTHER = "other", "Other"

    case = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="artifacts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Where the file sits in the model snapshot (``weights/shard-0001.safetensors``):
    # a normalized POSIX path, checked by ``portal.cases.snapshots.clean_relative_path``;
    # unique among the case's current artifacts (the service checks, under the case lock).
    relative_path = models.CharField(
        max_length=1024,
        help_text="Where the file sits in the model snapshot, e.g. weights/shard-0001.safetensors.",
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["kind", "uploaded_at"]
        indexes = [models.Index(fields=["case", "kind"])]
        constraints = [
            # The same bytes under the same name and kind are one artifact: a
            # repeated upload (a retried script, two at once) stores nothing new.
            models.UniqueConstraint(
                fields=["case", "kind", "original_name", "sha256"], name="artifact_stored_once"
            )
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_kind_display()})"

    storage_prefix = "artifacts"

    def storage_folder(self) -> str:
        return f"{self.storage_prefix}/{self.case_id}"


class ArtifactUpload(ResumableUpload):
    """A tus upload on its way to becoming an artifact of the case (``portal.files.resumable``).

    The name and kind come from Upload-Metadata and are checked when the upload
    is created; ``expected_sha256`` is the whole file's SHA-256 if the client
    declared one, compared when the last byte arrives.
    """

    case = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=30, choices=Artifact.Kind.choices)
    original_name = models.CharField(max_length=255)
    relative_path = models.CharField(
        max_length=1024, blank=True, help_text="Upload-Metadata path; empty: the file's name."
    )
    expected_sha256 = models.CharField(max_length=64, blank=True)
    supersedes = models.ForeignKey(
        Artifact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    storage_prefix = Artifact.storage_prefix
