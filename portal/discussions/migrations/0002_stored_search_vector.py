import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import portal.core.search
from portal.core.migration_operations import AddIndexOnPostgreSQL, AddSearchVectorField


class Migration(migrations.Migration):
    # Thread search matches stored vectors of subjects and messages
    # (portal.core.search): PostgreSQL writes the columns and indexes them; on
    # SQLite they are NULL columns and search matches substrings.

    dependencies = [
        ("discussions", "0001_initial"),
    ]

    operations = [
        AddSearchVectorField(
            model_name="message",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=portal.core.search.StoredSearchVector("body", config="english"),
                null=True,
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        AddSearchVectorField(
            model_name="thread",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=portal.core.search.StoredSearchVector("subject", config="english"),
                null=True,
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="message_search_vector"
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="thread",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="thread_search_vector"
            ),
        ),
    ]
