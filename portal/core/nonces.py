"""One-time form nonces: a replayed or double-submitted form post is noticed.

Each rendered form carries a signed nonce (for this person and this form);
posting it records its digest in a table with a unique key. A second post of
the same form — a double click, a browser's resend, a replay — hits the
unique key and is refused, even when the two posts arrive at the same moment.
Consume the nonce inside the transaction that does the work, so a failed
attempt can be retried with the same form.
"""

import hashlib
import secrets

from django.core import signing
from django.db import IntegrityError, transaction

from portal.core.models import UsedFormNonce

SALT = "portal.form-nonce"
MAX_AGE_SECONDS = 24 * 3600


def issue_nonce(request, scope: str) -> str:
    return signing.dumps(
        {"u": request.user.pk, "s": scope, "n": secrets.token_urlsafe(12)}, salt=SALT
    )


def consume_nonce(request, scope: str, nonce: str | None) -> bool:
    """True the first time a valid nonce for this person and form comes back."""
    if not nonce or len(nonce) > 500:
        return False
    try:
        payload = signing.loads(nonce, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    if payload.get("u") != request.user.pk or payload.get("s") != scope:
        return False
    try:
        with transaction.atomic():
            UsedFormNonce.objects.create(digest=hashlib.sha256(nonce.encode()).hexdigest())
    except IntegrityError:
        return False
    return True
