"""Reminders sent, one row each: the claim that makes every reminder go out once."""

from django.db import models


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
