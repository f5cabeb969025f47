from django.db import migrations, models
from django.db.models import F


def paths_from_names(apps, schema_editor):
    """Every artifact so far sits at the top of its snapshot, under its own name."""
    Artifact = apps.get_model("cases", "Artifact")
    Artifact.objects.update(relative_path=F("original_name"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_score_corrections")]

    operations = [
        migrations.AddField(
            model_name="artifact",
            name="relative_path",
            field=models.CharField(
                default="",
                help_text=(
                    "Where the file sits in the model snapshot, "
                    "e.g. weights/shard-0001.safetensors."
                ),
                max_length=1024,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(paths_from_names, migrations.RunPython.noop, elidable=True),
    ]
