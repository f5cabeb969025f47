"""System checks of the files app: the manifests' signing key (``check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.files.manifests import ManifestKeyError, load_private_key


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
                id="files.E001",
            )
        ]
    return []
