"""Every token gets scopes and an expiry.

Existing tokens keep working for the default lifetime: one without an expiry,
or with one further away than the longest now allowed, expires
``TOKEN_DEFAULT_DAYS`` (30) days after this migration, so scripts go on
running while their owners see the date on the token page and replace them.
Each existing token gets every scope its owner's role may hold today
(agency staff and platform admins: read scopes only), which is what the token
could already do, minus what privileged people may no longer hold.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

AGENCY_ROLES = {"coordinator", "reviewer"}
DEVELOPER_ROLES = {"submitter", "org_admin"}
OPERATOR_ROLES = {"security_team"}
ORDER = ["grants:read", "cases:upload", "frontier:read"]
READ_SCOPES = {"grants:read", "frontier:read"}


def scopes_for(user, role):
    # Frozen here: the model's helper may change after this migration.
    allowed = set()
    if role in OPERATOR_ROLES:
        allowed.add("grants:read")
    if role in DEVELOPER_ROLES:
        allowed.add("cases:upload")
    if role in AGENCY_ROLES or user.is_staff:
        allowed.add("frontier:read")
    if user.is_staff or role in AGENCY_ROLES:
        allowed &= READ_SCOPES
    return [scope for scope in ORDER if scope in allowed]


def give_expiry_and_scopes(apps, schema_editor):
    AccessToken = apps.get_model("accounts", "AccessToken")
    Membership = apps.get_model("accounts", "Membership")
    now = timezone.now()
    default_expiry = now + timedelta(days=settings.TOKEN_DEFAULT_DAYS)
    latest = now + timedelta(days=settings.TOKEN_MAX_DAYS)
    AccessToken.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=latest)).update(
        expires_at=default_expiry
    )
    roles = dict(Membership.objects.values_list("user_id", "role"))
    for token in AccessToken.objects.select_related("user").iterator():
        token.scopes = scopes_for(token.user, roles.get(token.user_id))
        token.save(update_fields=["scopes"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="accesstoken",
            name="scopes",
            field=models.JSONField(
                default=list, help_text='What the token may do, e.g. ["grants:read"].'
            ),
        ),
        migrations.RunPython(give_expiry_and_scopes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="accesstoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
    ]
