"""The one shape of a stored file, and the one record of a download.

``StoredFile`` is what every uploaded file of the portal is: an artifact, a
finding's evidence, an answer's attachment, a report's file. Rows are written
by ``portal.files.store.store_streamed_file`` only, which fills the size and
SHA-256 computed while the bytes streamed in.

``Download`` is every request that reached a download view, allowed or
denied; ``portal.files.downloads`` writes it, with its audit event. It says
which range was asked for, whether the response was the whole file, the bytes
promised and — where the serving path can count them — the bytes actually
sent and how the transfer ended; else the figure is only "requested". This app
sits below cases, reviews and access, so a record names the case by its id
and the file, and what let the person in (the case, finding, request, report
or grant whose access check the view made), by content type and id.
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


def stored_file_name(instance, filename: str) -> str:
    """Storage names are generated; the uploaded name is only display text."""
    return f"{instance.storage_folder()}/{uuid.uuid4().hex}"


class StoredFile(models.Model):
    """A file received by streaming upload: its name for people, its bytes, their size and hash."""

    original_name = models.CharField(
        max_length=255, help_text="The uploaded file's name; display text only."
    )
    file = models.FileField(upload_to=stored_file_name, max_length=200, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    # The top folder of the storage every file of this model lives under; the
    # storage check (``portal.files.reconcile``) lists it to find files with no row.
    storage_prefix: str = ""

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name

    def storage_folder(self) -> str:
        """The folder this file goes to, under ``storage_prefix``: e.g. ``artifacts/<case id>``."""
        raise NotImplementedError


def new_upload_key() -> str:
    return secrets.token_urlsafe(24)


class ResumableUpload(models.Model):
    """A tus upload in progress: how far it got, and its running SHA-256.

    The bytes so far are a partial file under ``UPLOADS_PARTIAL_DIR`` named by
    ``key`` (``portal.files.resumable``); ``hash_state`` is the SHA-256 of
    exactly those ``offset`` bytes (``portal.files.sha256state``). On S3 the
    bytes go to a multipart upload (``multipart_id``) of the object
    ``storage_name`` as they arrive, and the partial file holds only the tail
    not yet sent (``portal.files.multipart``). A finished, terminated or
    expired upload has no row: only its stored file remains.
    """

    key = models.CharField(max_length=40, unique=True, default=new_upload_key, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    length = models.PositiveBigIntegerField(help_text="Upload-Length: the whole file's size.")
    offset = models.PositiveBigIntegerField(default=0, help_text="Bytes received so far.")
    hash_state = models.BinaryField(editable=False)
    metadata = models.CharField(
        max_length=4000, blank=True, help_text="Upload-Metadata as sent, for HEAD."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)
    storage_name = models.CharField(
        max_length=200, blank=True, editable=False, help_text="On S3: the finished file's name."
    )
    multipart_id = models.CharField(
        max_length=1024, blank=True, editable=False, help_text="On S3: the multipart upload."
    )
    parts = models.JSONField(
        default=list, blank=True, editable=False, help_text="On S3: [number, ETag, size] sent."
    )
    tail_start = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="On S3: where the unsent bytes begin in the file."
    )

    objects = models.Manager()

    # The storage folder of the files uploads become (``StoredFile.storage_prefix``):
    # the sweep looks there for S3 multipart uploads no row names.
    storage_prefix: str = ""

    class Meta:
        abstract = True

    def __str__(self):
        return f"upload {self.key} ({self.offset} of {self.length} bytes)"


class Download(models.Model):
    """One request for a file's bytes, allowed or denied: who, when, what, and why not."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        PARTIAL = "partial", "Allowed (range)"
        HEAD = "head", "Headers only"
        UNSATISFIABLE = "unsatisfiable", "Range not satisfiable"
        DENIED_NOT_FOUND = "denied_not_found", "Denied: not found or not yours"
        DENIED_ROLE = "denied_role", "Denied: not for this role"
        DENIED_NOT_GRANTED = "denied_not_granted", "Denied: not granted"
        DENIED_REVOKED = "denied_revoked", "Denied: revoked"
        DENIED_WINDOW = "denied_window", "Denied: outside the access window"
        DENIED_TERMS = "denied_terms", "Denied: terms not accepted"

    class Delivery(models.TextChoices):
        """What became of the bytes of an allowed GET (empty when there were none to send)."""

        SENDING = "sending", "Sending"
        COMPLETE = "complete", "Sent in full"
        INTERRUPTED = "interrupted", "Interrupted: the client went away"
        STOPPED = "stopped", "Stopped: access closed"
        REQUESTED = "requested", "Requested (bytes sent not measured)"

    SERVED = (Outcome.ALLOWED, Outcome.PARTIAL, Outcome.HEAD, Outcome.UNSATISFIABLE)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_prefix = models.CharField(
        max_length=12, blank=True, help_text="Empty for a browser session."
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    path = models.CharField(max_length=500, help_text="The URL asked for.")
    name = models.CharField(
        max_length=255, blank=True, help_text="The name the file was sent (or asked for) under."
    )
    case_id = models.PositiveBigIntegerField(
        "case", null=True, blank=True, help_text="The case the file belongs to."
    )
    file_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_id = models.PositiveBigIntegerField(null=True, blank=True)
    stored_file = GenericForeignKey("file_type", "file_id")
    through_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    through_id = models.PositiveBigIntegerField(null=True, blank=True)
    through = GenericForeignKey("through_type", "through_id")
    range = models.CharField(max_length=100, blank=True, help_text="The Range header asked for.")
    whole_file = models.BooleanField(
        default=False, help_text="The response was the complete file (200), not a range."
    )
    bytes_requested = models.PositiveBigIntegerField(
        default=0, help_text="The bytes the response promised (its Content-Length)."
    )
    bytes_sent = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The bytes the server actually sent; empty where it cannot tell "
        "(nginx X-Accel until its log is read, a redirect to the store).",
    )
    delivery = models.CharField(max_length=12, choices=Delivery.choices, blank=True)
    request_id = models.CharField(
        max_length=64, blank=True, help_text="nginx's $request_id, to match its access log."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["case_id", "created_at"], name="download_case_newest"),
            models.Index(
                fields=["through_type", "through_id", "created_at"], name="download_through_newest"
            ),
            models.Index(
                fields=["request_id"],
                name="download_request_id",
                condition=~models.Q(request_id=""),
            ),
        ]

    def __str__(self):
        return f"{self.user or 'unknown'} {self.name or self.path} {self.get_outcome_display()}"

    @property
    def allowed(self) -> bool:
        return self.outcome in self.SERVED

    @property
    def measured(self) -> bool:
        """Whether ``bytes_sent`` is what the server counted, not only what was asked."""
        return self.bytes_sent is not None and self.delivery != self.Delivery.SENDING
