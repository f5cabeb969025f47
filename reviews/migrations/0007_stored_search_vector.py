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
    # Finding search matches a stored vector of the title (portal.core.search):
    # PostgreSQL writes the column and indexes it; on SQLite it is a NULL column.

    dependencies = [
        ("reviews", "0006_delete_note"),
    ]

    operations = [
        RemoveIndexOnPostgreSQL(
            model_name="finding",
            name="finding_search",
        ),
        AddSearchVectorField(
            model_name="finding",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=portal.core.search.StoredSearchVector("title", config="english"),
                null=True,
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="finding",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="finding_search_vector"
            ),
        ),
    ]
