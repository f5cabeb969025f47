"""In-app notifications, each of which may also be sent by email (on commit, by Celery),
and the reminders claimed by the deadline sweep."""

from django.conf import settings
from django.db import models

from portal.notifications import unread


class NotificationQuerySet(models.QuerySet):
    """Its writes forget the cached unread counts of the people they touch
    (``portal.notifications.unread``): every bulk path goes through here."""

    def unread(self):
        return self.filter(read_at__isnull=True)

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        unread.forget_on_commit({n.recipient_id for n in created})
        return created

    def update(self, **kwargs):
        if {"read_at", "recipient", "recipient_id"} & kwargs.keys():
            unread.forget_on_commit(self._recipients())
        return super().update(**kwargs)

    def delete(self):
        unread.forget_on_commit(self._recipients())
        return super().delete()

    def _recipients(self) -> set[int]:
        return set(self.order_by().values_list("recipient_id", flat=True).distinct())


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True, help_text="A path inside the portal.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The email outbox (portal.notifications.delivery): set once the mail server
    # accepted the mail. Until then the row is due at ``email_due_at`` (empty:
    # now), which a claim or a failed attempt moves on.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # What it told of no longer holds (a capability-jump alert after a
    # correction): the list shows it as retracted; it is never deleted.
    retracted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_outbox",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        unread.forget_on_commit([self.recipient_id])

    def delete(self, *args, **kwargs):
        unread.forget_on_commit([self.recipient_id])
        return super().delete(*args, **kwargs)


class SentReminder(models.Model):
    """A reminder that was sent (or is being sent, in the transaction that claims it).

    The unique key (kind, subject, threshold) is claimed in the same
    transaction that queues the message: a second sweep, a retried task or a
    redelivered message hits the key and sends nothing.
    """

    kind = models.CharField(max_length=40)
    subject = models.CharField(
        max_length=80, help_text="The object reminded about, as app.model:pk."
    )
    threshold = models.CharField(max_length=40, help_text="e.g. due-7, overdue-week-2.")
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "threshold"], name="reminder_sent_once"
            )
        ]
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self):
        return f"{self.kind} {self.subject} {self.threshold}"
