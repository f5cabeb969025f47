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


class RemoveIndexOnPostgreSQL(migrations.RemoveIndex):
    """``RemoveIndex`` for an index ``AddIndexOnPostgreSQL`` created: PostgreSQL only."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{super().describe()} (PostgreSQL only)"


class AddSearchVectorField(migrations.AddField):
    """``AddField`` for a stored search vector (``portal.core.search``).

    PostgreSQL adds the generated column, filled for every existing row. SQLite
    cannot add a stored generated column to a table without rebuilding it, and
    a rebuild of a table that triggers name fails or drops the triggers; there
    the column is added as a plain, nullable one of the same name, which stays
    NULL (SQLite searches with ``icontains``). A later rebuild of the table on
    SQLite recreates it as a generated column of NULL: the same values.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_field(model, self._stand_in(model))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_field(model, self._stand_in(model))

    def _stand_in(self, model):
        from django.contrib.postgres.search import SearchVectorField

        column = SearchVectorField(null=True)
        column.set_attributes_from_name(self.name)
        column.model = model
        return column

    def describe(self):
        return f"{super().describe()} (a plain NULL column on SQLite)"
