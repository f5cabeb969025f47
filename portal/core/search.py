"""Stored full-text search vectors: the one way a searched table keeps its words.

On PostgreSQL each searched table has a ``search_vector`` column that the
database computes on every insert and update (a stored generated column,
``stored_search_vector``) and a GIN index on it. Search matches and ranks that
column, so no row's text is parsed at query time, and no Python code writes it:
``QuerySet.update``, ``bulk_create``, the admin and raw SQL all leave it right.

SQLite has no full-text type. The column exists there too (the model declares
it) but holds NULL, and each selector matches substrings with ``icontains``
instead: one selector, two backends.

The migration that adds such a column uses ``AddSearchVectorField``
(``portal.core.migration_operations``): SQLite cannot add a stored generated
column to an existing table without rebuilding the table (which would drop
the queue-copy triggers that name it), so there it adds a plain, nullable
column of the same name.
"""

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models


class StoredSearchVector(SearchVector):
    """``SearchVector`` that a SQLite table rebuild can also write: NULL there."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


def stored_search_vector(*fields: str, config: str) -> models.GeneratedField:
    """The ``search_vector`` column of a searched table: its ``fields``' words.

    The configuration is explicit (``to_tsvector(regconfig, text)`` is then
    immutable, as a generated column must be), and every query on the column
    uses the same one.
    """
    return models.GeneratedField(
        expression=StoredSearchVector(*fields, config=config),
        output_field=SearchVectorField(null=True),
        db_persist=True,
        null=True,
    )
