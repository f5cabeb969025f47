"""System checks of the files app: resumable uploads need OpenSSL's SHA-256 state."""

from django.core.checks import Error, register

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
