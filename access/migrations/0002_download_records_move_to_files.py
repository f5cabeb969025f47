"""Download records move to portal.files: every download, of any file, is one kind of record.

The operators' download events are copied into ``files.Download`` (through
their grant, of their artifact) before their table goes.
"""

from django.db import migrations, models


def copy_download_events(apps, schema_editor):
    DownloadEvent = apps.get_model("access", "DownloadEvent")
    Download = apps.get_model("files", "Download")
    ContentType = apps.get_model("contenttypes", "ContentType")
    artifact_type, _ = ContentType.objects.get_or_create(app_label="cases", model="artifact")
    grant_type, _ = ContentType.objects.get_or_create(app_label="access", model="accessgrant")
    events = DownloadEvent.objects.select_related("artifact").order_by("pk").iterator()
    batch = []
    for event in events:
        batch.append(
            Download(
                created_at=event.created_at,
                user_id=event.user_id,
                token_prefix=event.token_prefix,
                outcome=event.outcome,
                path="",
                name=event.artifact.original_name,
                case_id=event.case_id,
                file_type=artifact_type,
                file_id=event.artifact_id,
                through_type=grant_type if event.grant_id else None,
                through_id=event.grant_id,
                range=event.range,
                bytes_sent=event.bytes_sent,
                ip=event.ip,
                user_agent=event.user_agent,
            )
        )
        if len(batch) == 1000:
            Download.objects.bulk_create(batch)
            batch = []
    Download.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("files", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(copy_download_events, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="downloadevent",
            name="access_down_case_id_0440f3_idx",
        ),
        migrations.RemoveIndex(
            model_name="downloadevent",
            name="access_down_grant_i_8090f4_idx",
        ),
        migrations.AlterField(
            model_name="reportfile",
            name="original_name",
            field=models.CharField(
                help_text="The uploaded file's name; display text only.", max_length=255
            ),
        ),
        migrations.DeleteModel(
            name="DownloadEvent",
        ),
    ]
