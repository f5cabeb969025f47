"""The database keeps each routing's copies of its case's status and due date.

``CaseRouting.case_status`` and ``CaseRouting.review_due`` copy the case's
``status`` and ``review_due`` so that an agency's queue is sorted, paged and
counted from its routings alone. The copies are written by triggers, never by
Python, so that no path can skip them: ``QuerySet.update``, ``bulk_create``,
admin bulk actions, data migrations and raw SQL on the cases all leave them
right. (Before, ``Submission.save()`` copied them, and every other path left
them behind without a word.)

- Inserting a routing fills both copies from its case.
- Updating a case's ``status`` or ``review_due`` rewrites the copies of all
  its routings (``AFTER UPDATE OF status, review_due``, only when a value
  changed).

On PostgreSQL the routing's copies are set before the row is written (a
``BEFORE INSERT`` trigger), reading the case ``FOR NO KEY UPDATE``: a case
changed by another transaction at the same moment is waited for, so the copy
is never older than the case. On SQLite (one writer at a time) an ``AFTER
INSERT`` trigger updates the new row.

Changing the tables later: on SQLite, a migration that rebuilds
``cases_submission`` or ``cases_caserouting`` (most ``AlterField``) fails with
"error in trigger ...: no such table", since the other table's triggers name
it; it must run ``SQLITE_DROP`` (after reviews 0002's) before and ``SQLITE``
(before reviews 0002's) after. On PostgreSQL ``status`` and ``review_due``
cannot change type while the trigger names them. ``docs/architecture.md``
(*The queue's copies*) has the whole picture; ``manage.py check_queue_copies``
finds and repairs copies that drifted while triggers were bypassed (a
data-only restore with triggers disabled, manual SQL on the routings).

Existing routings are brought in step first.
"""

from django.db import NotSupportedError, migrations

RESYNC = """
UPDATE cases_caserouting SET
    case_status = (SELECT s.status FROM cases_submission s WHERE s.id = cases_caserouting.case_id),
    review_due = (SELECT s.review_due FROM cases_submission s WHERE s.id = cases_caserouting.case_id)
"""

POSTGRESQL = [
    RESYNC,
    """
    CREATE FUNCTION cases_caserouting_copy_case() RETURNS trigger AS $$
    DECLARE
        found_status varchar(30);
        found_due date;
    BEGIN
        SELECT status, review_due INTO found_status, found_due
          FROM cases_submission WHERE id = NEW.case_id FOR NO KEY UPDATE;
        IF FOUND THEN
            NEW.case_status := found_status;
            NEW.review_due := found_due;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER cases_caserouting_copy_case
        BEFORE INSERT ON cases_caserouting
        FOR EACH ROW EXECUTE FUNCTION cases_caserouting_copy_case()
    """,
    """
    CREATE FUNCTION cases_submission_copy_to_routings() RETURNS trigger AS $$
    BEGIN
        UPDATE cases_caserouting
           SET case_status = NEW.status, review_due = NEW.review_due
         WHERE case_id = NEW.id;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER cases_submission_copy_to_routings
        AFTER UPDATE OF status, review_due ON cases_submission
        FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.review_due IS DISTINCT FROM NEW.review_due)
        EXECUTE FUNCTION cases_submission_copy_to_routings()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS cases_submission_copy_to_routings ON cases_submission",
    "DROP FUNCTION IF EXISTS cases_submission_copy_to_routings()",
    "DROP TRIGGER IF EXISTS cases_caserouting_copy_case ON cases_caserouting",
    "DROP FUNCTION IF EXISTS cases_caserouting_copy_case()",
]

SQLITE = [
    RESYNC,
    """
    CREATE TRIGGER cases_caserouting_copy_case
    AFTER INSERT ON cases_caserouting
    FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM cases_submission WHERE id = NEW.case_id)
    BEGIN
        UPDATE cases_caserouting SET
            case_status = (SELECT status FROM cases_submission WHERE id = NEW.case_id),
            review_due = (SELECT review_due FROM cases_submission WHERE id = NEW.case_id)
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER cases_submission_copy_to_routings
    AFTER UPDATE OF status, review_due ON cases_submission
    FOR EACH ROW
    WHEN OLD.status IS NOT NEW.status OR OLD.review_due IS NOT NEW.review_due
    BEGIN
        UPDATE cases_caserouting SET case_status = NEW.status, review_due = NEW.review_due
        WHERE case_id = NEW.id;
    END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_submission_copy_to_routings",
    "DROP TRIGGER IF EXISTS cases_caserouting_copy_case",
]


def run_per_vendor(statements):
    """A RunPython operation that runs the statements written for the database in use."""

    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotSupportedError(f"The queue's copies need triggers written for {vendor}.")
        for sql in statements[vendor]:
            schema_editor.execute(sql, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(
            run_per_vendor({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            run_per_vendor({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        )
    ]
