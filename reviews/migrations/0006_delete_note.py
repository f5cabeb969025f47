from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0005_notes_to_threads"),
    ]

    operations = [
        migrations.DeleteModel(name="Note"),
    ]
