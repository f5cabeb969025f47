"""System checks of the files app: resumable uploads need OpenSSL's SHA-256 state, and
the manifests' signing key must be usable (``check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.files.manifests import ManifestKeyError, load_private_key
from portal.files.sha256state import self_check


@register()
def resumable_sha256_check(app_configs, **kwargs):
    """The running SHA-256 of tus uploads (``portal.files.sha256state``) must round-trip here."""
    try:
        self_check()
    except (RuntimeError, OSError, ValueError) as problem:
        return [
            Error(
                f"Resumable uploads cannot keep their SHA-256 between requests: {problem}",
                hint="Install OpenSSL's libcrypto (libssl3 on Debian), the one Python's "
                "hashlib uses.",
                id="files.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def manifest_key_check(app_configs, **kwargs):
    """Outside DEBUG the settings refuse to start without MANIFEST_SIGNING_KEY_FILE; this
    checks that it names a readable EC key model-signing signs with."""
    try:
        load_private_key(settings.MANIFEST_SIGNING_KEY_FILE)
    except ManifestKeyError as error:
        return [
            Error(
                f"Manifests of model snapshots (model.sig) cannot be signed: {error}.",
                hint="Create one with `manage.py manifest_key --create` (README: Downloads).",
                id="files.E002",
            )
        ]
    return []
