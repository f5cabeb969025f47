"""System checks of the audit app: the checkpoint signing key (``check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.audit.keyfile import CheckpointKeyError, load_private_key


@register(Tags.security, deploy=True)
def signing_key_check(app_configs, **kwargs):
    """Outside DEBUG the settings refuse to start without AUDIT_SIGNING_KEY_FILE; this
    checks that it names a readable Ed25519 private key."""
    try:
        load_private_key(settings.AUDIT_SIGNING_KEY_FILE)
    except CheckpointKeyError as error:
        return [
            Error(
                f"The audit log's checkpoints cannot be signed: {error}.",
                hint="Create one with `manage.py audit_key --create` (README: Audit log).",
                id="audit.E001",
            )
        ]
    return []
