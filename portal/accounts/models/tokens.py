"""Personal access tokens for scripts (uploads by submitters, downloads by operators).

A token is shown once, when it is created; only its SHA-256 is stored. Tokens
are long random strings, so a fast hash is enough: nobody can guess one from
its digest.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TOKEN_PREFIX = "frp_"  # noqa: S105  (a public marker, not a secret)


def digest_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AccessTokenQuerySet(models.QuerySet):
    def usable(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class AccessToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. the script's name."
    )
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The first characters, to recognise a token."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create_for(cls, user, *, name: str, days: int | None = None) -> tuple["AccessToken", str]:
        """Create a token and return it with its secret, which is never stored."""
        if days is not None and not 1 <= days <= settings.TOKEN_MAX_DAYS:
            # 0 must not quietly mean "never expires".
            raise ValueError(f"days must be between 1 and {settings.TOKEN_MAX_DAYS}, not {days}.")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        token = cls.objects.create(
            user=user, name=name, prefix=raw[:12], digest=digest_token(raw), expires_at=expires_at
        )
        return token, raw

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_usable(self) -> bool:
        return self.status == "active" and self.user.is_active
