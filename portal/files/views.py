"""The manifests' public key, at a stable address anyone may read."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from portal.files.manifests import public_key_pem

MANIFEST_KEY_PATH = ".well-known/frontier-review/manifest-signing-key.pem"


@login_not_required
@require_safe
def manifest_signing_key(request):
    """The PEM public key that verifies every model.sig the portal serves; public by design."""
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="manifest-signing-key.pem"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
