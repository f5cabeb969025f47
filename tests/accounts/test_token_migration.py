"""The data step of accounts.0002: earlier tokens get their role's scopes and a bounded expiry."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from portal.accounts.models import AccessToken

upgrade = importlib.import_module("portal.accounts.migrations.0002_token_scopes_and_expiry")


def test_earlier_tokens_get_their_roles_scopes_and_expire_within_the_default(
    submitter, operator, coordinator
):
    far, _ = AccessToken.create_for(submitter, name="far", days=1)
    soon, _ = AccessToken.create_for(operator, name="soon", days=3)
    agency, _ = AccessToken.create_for(coordinator, name="agency", days=1)
    AccessToken.objects.filter(pk=far.pk).update(expires_at=timezone.now() + timedelta(days=365))
    AccessToken.objects.update(scopes=[])
    soon.refresh_from_db()

    upgrade.give_expiry_and_scopes(apps, None)

    far.refresh_from_db()
    assert abs(far.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert far.scopes == ["cases:upload"]
    assert AccessToken.objects.get(pk=soon.pk).expires_at == soon.expires_at  # within 90: kept
    assert AccessToken.objects.get(pk=soon.pk).scopes == ["grants:read"]
    assert AccessToken.objects.get(pk=agency.pk).scopes == ["frontier:read"]
