import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import portal.core.search
from portal.core.migration_operations import (
    AddIndexOnPostgreSQL,
    AddSearchVectorField,
    RemoveIndexOnPostgreSQL,
)


class Migration(migrations.Migration):
    # Search matches a stored vector instead of one computed per row at query
    # time (portal.core.search): PostgreSQL writes the column and indexes it;
    # on SQLite it is a NULL column and search matches substrings.

    dependencies = [
        ("cases", "0011_upload_relative_path_and_s3_parts"),
    ]

    operations = [
        RemoveIndexOnPostgreSQL(
            model_name="submission",
            name="case_search",
        ),
        AddSearchVectorField(
            model_name="submission",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=portal.core.search.StoredSearchVector(
                    "model_name", "model_version", config="simple"
                ),
                null=True,
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="submission",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="case_search_vector"
            ),
        ),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(fields=["-created_at", "-id"], name="case_newest"),
        ),
    ]
