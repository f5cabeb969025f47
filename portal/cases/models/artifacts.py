"""Artifacts: the files a case carries, stored once with their size and SHA-256."""

import uuid

from django.conf import settings
from django.db import models

from portal.cases.models.cases import Submission


def artifact_storage_name(instance, filename: str) -> str:
    """Storage names are generated; the uploaded name is only display text."""
    return f"artifacts/{instance.case_id}/{uuid.uuid4().hex}"


class Artifact(models.Model):
    class Kind(models.TextChoices):
        WEIGHTS = "weights", "Model weights"
        MODEL_CARD = "model_card", "Model card"
        SYSTEM_CARD = "system_card", "System card"
        EVALUATION_REPORT = "evaluation_report", "Evaluation report"
        OTHER = "other", "Other"

    case = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="artifacts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    original_name = models.CharField(
        max_length=255, help_text="The uploaded file's name; display text only."
    )
    file = models.FileField(upload_to=artifact_storage_name, max_length=200, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

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
