"""Personal access tokens for scripts (uploads by submitters, downloads by operators).

A token is shown once, when it is created; only its SHA-256 is stored. Tokens
are long random strings, so a fast hash is enough: nobody can guess one from
its digest.

Every token expires (``TOKEN_DEFAULT_DAYS``, at most ``TOKEN_MAX_DAYS``) and
carries scopes: what a script may do with it. A person may hold only the
scopes of their role (``scopes_for``); agency staff and platform admins only
the read scopes, since a token skips their second factor.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "frp_"  # noqa: S105  (a public marker, not a secret)


GRANTS_READ = "grants:read"
CASES_UPLOAD = "cases:upload"
FRONTIER_READ = "frontier:read"
SCOPES = {
    GRANTS_READ: "List and download the artifacts granted to you",
    CASES_UPLOAD: "Upload artifacts to your organization's draft cases",
    FRONTIER_READ: "Read the frontier monitoring API",
}
READ_SCOPES = frozenset({GRANTS_READ, FRONTIER_READ})


def scopes_for(user) -> list[str]:
    """The scopes this person's tokens may carry, in the order of ``SCOPES``."""
    from portal.accounts.models.people import Membership

    role = user.role
    allowed = set()
    if role in Membership.OPERATOR_ROLES:
        allowed.add(GRANTS_READ)
    if role in Membership.DEVELOPER_ROLES:
        allowed.add(CASES_UPLOAD)
    if role in Membership.AGENCY_ROLES or user.is_staff:
        allowed.add(FRONTIER_READ)
    if user.is_staff or user.is_agency_staff:
        # A token skips the second factor: privileged people get read scopes only.
        allowed &= READ_SCOPES
    return [scope for scope in SCOPES if scope in allowed]


class TokenRefused(ValueError):
    """The expiry or scopes asked for a token are not allowed; ``str()`` says why."""


def digest_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AccessTokenQuerySet(models.QuerySet):
    def usable(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True, expires_at__gt=at)


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
    expires_at = models.DateTimeField()
    scopes = models.JSONField(
        default=list, help_text='What the token may do, e.g. ["grants:read"].'
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create_for(
        cls,
        user,
        *,
        name: str,
        days: int | None = None,
        scopes: list[str] | tuple[str, ...] | None = None,
    ) -> tuple["AccessToken", str]:
        """Create a token and return it with its secret, which is never stored.

        ``days`` defaults to ``TOKEN_DEFAULT_DAYS`` and ``scopes`` to every
        scope the person may hold (none for a person without a role: such a
        token answers only ``/api/v1/me``); anything beyond raises ``TokenRefused``.
        """
        days = settings.TOKEN_DEFAULT_DAYS if days is None else days
        if not 1 <= days <= settings.TOKEN_MAX_DAYS:
            raise TokenRefused(
                f"A token expires after 1 to {settings.TOKEN_MAX_DAYS} days, not {days}."
            )
        allowed = scopes_for(user)
        chosen = list(allowed) if scopes is None else list(dict.fromkeys(scopes))
        if scopes is not None and not chosen:
            raise TokenRefused("Choose at least one scope.")
        if unknown := [scope for scope in chosen if scope not in SCOPES]:
            raise TokenRefused(f"No such scope: {', '.join(unknown)}.")
        if refused := [scope for scope in chosen if scope not in allowed]:
            raise TokenRefused(
                f"Your role may not hold the scope {', '.join(refused)}; "
                f"it may hold: {', '.join(allowed) or 'none'}."
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:12],
            digest=digest_token(raw),
            expires_at=timezone.now() + timedelta(days=days),
            scopes=[scope for scope in SCOPES if scope in chosen],
        )
        return token, raw

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_usable(self) -> bool:
        return self.status == "active" and self.user.is_active
