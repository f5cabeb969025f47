"""What every app's forms share: the record of form posts already handled."""

from django.db import models


class UsedFormNonce(models.Model):
    """A form post already handled (see portal.core.nonces). Old rows can be pruned after a day."""

    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return self.digest[:12]
