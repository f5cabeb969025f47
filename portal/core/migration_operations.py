"""Migration operations that only some databases run."""

from django.db import migrations


class AddIndexOnPostgreSQL(migrations.AddIndex):
    """``AddIndex`` for an index only PostgreSQL can build (full-text GIN).

    The index is in the model's state on every database, so ``makemigrations``
    sees nothing to do; only PostgreSQL creates it. SQLite searches with
    ``icontains`` and has no use for it.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{super().describe()} (PostgreSQL only)"
