"""Whether a grant's end follows the case's planned release date.

Existing grants follow it when they end exactly where the default puts the end
(the start of the planned release day, ``access.services.default_end``); an end
set to any other moment was chosen on its own and stays when the release moves.
"""

from datetime import datetime, time

from django.db import migrations, models
from django.utils import timezone


def mark_chosen_ends(apps, schema_editor):
    AccessGrant = apps.get_model("access", "AccessGrant")
    chosen = []
    for access_grant in AccessGrant.objects.select_related("case").iterator():
        planned = access_grant.case.planned_release_date
        release = planned and timezone.make_aware(datetime.combine(planned, time.min))
        if access_grant.ends_at != release:
            chosen.append(access_grant.pk)
    AccessGrant.objects.filter(pk__in=chosen).update(ends_with_release=False)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessgrant",
            name="ends_with_release",
            field=models.BooleanField(
                default=True,
                help_text="The end follows the case’s planned public release date when it moves.",
            ),
        ),
        migrations.RunPython(mark_chosen_ends, migrations.RunPython.noop),
    ]
