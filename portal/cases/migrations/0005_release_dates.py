"""The day a case's recommendation was issued and the day its model became public.

Cases whose recommendation is already issued take the day from the audit log's
``case.recommendation_issued`` event, so that a release marked later is not
taken for one that came before the recommendation.
"""

from django.db import migrations, models
from django.utils import timezone


def issued_days_from_the_audit_log(apps, schema_editor):
    Submission = apps.get_model("cases", "Submission")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="cases", model="submission").first()
    if content_type is None:
        return  # a fresh database: no case was ever issued
    issued = Submission.objects.filter(status__in=["recommendation_issued", "released"])
    for case in issued.only("pk").iterator():
        event = (
            AuditEvent.objects.filter(
                target_type=content_type,
                target_id=str(case.pk),
                action="case.recommendation_issued",
            )
            .order_by("sequence")
            .first()
        )
        if event is not None:
            Submission.objects.filter(pk=case.pk).update(
                recommendation_issued_on=timezone.localdate(event.created_at)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0004_queue_order_waits_for_reviewers_under_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="recommendation_issued_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="released_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(issued_days_from_the_audit_log, migrations.RunPython.noop),
    ]
