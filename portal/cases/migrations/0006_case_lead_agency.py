"""A case's lead agency, stored on the case: the first agency it was routed to.

A nullable column added in place (``ALTER TABLE … ADD COLUMN`` on SQLite too),
so ``cases_submission`` is not rebuilt and its triggers stay as they are.
Existing cases get the agency of their first routing (earliest ``routed_at``,
then the lowest id), in one statement.
"""

import django.db.models.deletion
from django.db import migrations, models

FIRST_ROUTING = """
UPDATE cases_submission SET lead_agency_id = (
    SELECT r.agency_id FROM cases_caserouting r
    WHERE r.case_id = cases_submission.id
    ORDER BY r.routed_at, r.id
    LIMIT 1
)
WHERE lead_agency_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0005_release_dates"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="lead_agency",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.agency",
            ),
        ),
        migrations.RunSQL(FIRST_ROUTING, migrations.RunSQL.noop),
    ]
