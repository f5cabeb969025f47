"""The migrations build the schema the models declare: every index, constraint and trigger.

Each app starts from one initial migration (the tree was re-laid before any
deployment held data). These tests read the migrated database back and hold
it against the models, so an index or constraint lost in a migration, or a
trigger that no migration creates, fails here.
"""

import pytest
from django.apps import apps
from django.contrib.postgres.indexes import PostgresIndex
from django.db import connection

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    "accounts",
    "audit",
    "cases",
    "capability",
    "core",
    "discussions",
    "files",
    "notifications",
    "reviews",
    "access",
}


def project_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model._meta.managed
    ]


def constraints_in_database(table: str) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def test_every_declared_index_and_constraint_exists_in_the_database():
    missing = []
    for model in project_models():
        in_database = constraints_in_database(model._meta.db_table)
        # PostgreSQL's own indexes (search's full-text GIN) exist only there
        # (portal.core.migration_operations.AddIndexOnPostgreSQL).
        declared = [
            index.name
            for index in model._meta.indexes
            if connection.vendor == "postgresql" or not isinstance(index, PostgresIndex)
        ]
        declared += [constraint.name for constraint in model._meta.constraints]
        missing += [f"{model._meta.label}: {name}" for name in declared if name not in in_database]
    assert missing == []


def test_every_unique_field_and_foreign_key_is_enforced_by_the_database():
    missing = []
    for model in project_models():
        in_database = constraints_in_database(model._meta.db_table).values()
        unique_columns = {
            tuple(c["columns"]) for c in in_database if c["unique"] or c["primary_key"]
        }
        indexed_columns = {tuple(c["columns"]) for c in in_database if c["index"] or c["unique"]}
        for field in model._meta.local_fields:
            column = (field.column,)
            if (field.unique or field.primary_key) and column not in unique_columns:
                missing.append(f"{model._meta.label}.{field.name}: unique")
            if field.db_index and not field.unique and column not in indexed_columns:
                missing.append(f"{model._meta.label}.{field.name}: index")
        for together in model._meta.unique_together:
            columns = tuple(model._meta.get_field(name).column for name in together)
            if columns not in unique_columns:
                missing.append(f"{model._meta.label}: unique together {together}")
    assert missing == []


def test_the_project_has_models_in_each_app_that_declares_them():
    # A guard for the two tests above: they must look at the real tables.
    labels = {model._meta.app_label for model in project_models()}
    assert {"accounts", "audit", "cases", "notifications", "reviews", "access"} <= labels


@pytest.mark.postgres
def test_the_audit_log_trigger_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert "audit_auditevent_append_only" in triggers


@pytest.mark.postgres
def test_partial_and_expression_indexes_keep_their_definitions_on_postgresql():
    """The queue's partial indexes are what make it fast: their WHERE clauses survive."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [["routing_open_queue", "assignment_holding_by_due"]],
        )
        definitions = dict(cursor.fetchall())
    assert set(definitions) == {"routing_open_queue", "assignment_holding_by_due"}
    assert all(" WHERE " in definition for definition in definitions.values()), definitions
