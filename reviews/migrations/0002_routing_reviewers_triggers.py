"""The database counts each routing's active reviewers.

``CaseRouting.reviewers`` is the number of the routing's agency's active
assignments on its case:

    count(*) FROM reviews_assignment
    WHERE case_id = routing.case_id AND agency_id = routing.agency_id
      AND status IN ('invited', 'accepted')        -- Assignment.ACTIVE

Declined, removed and completed assignments do not count. An assignment names
its agency in its own column (set from the reviewer's membership when invited),
so a reviewer who later moves to another agency still counts for the agency
that assigned them, and no trigger joins the memberships.

Triggers count again, never add or subtract, so a count is right even if it
was wrong before:

- inserting a routing counts its reviewers (an agency may be routed again
  after its assignments were made);
- inserting or deleting an active assignment counts its routing again;
- updating an assignment counts the routing it left and the routing it joined
  when it became active or inactive, or moved to another case or agency.

On PostgreSQL each count first locks the case row (``FOR NO KEY UPDATE``), as
the services do (``select_for_update``): two transactions changing the same
case's assignments or routings take turns, and the one that waits counts the
other's rows. On SQLite one writer at a time gives the same.

Changing the tables later: on SQLite, a migration that rebuilds
``reviews_assignment`` or ``cases_caserouting`` fails with "error in trigger
...: no such table"; it must run ``SQLITE_DROP`` before and ``SQLITE`` after
(see cases 0002). On PostgreSQL ``status``, ``case_id`` and ``agency_id`` cannot
change type while the update trigger names them. ``manage.py
check_queue_copies --repair`` rewrites counts that drifted while triggers
were bypassed.

Existing counts are brought in step first.
"""

from django.db import NotSupportedError, migrations

RESYNC = """
UPDATE cases_caserouting SET reviewers = (
    SELECT count(*) FROM reviews_assignment a
    WHERE a.case_id = cases_caserouting.case_id AND a.agency_id = cases_caserouting.agency_id
      AND a.status IN ('invited', 'accepted')
)
"""

# An assignment's update changes a count only when it becomes active or
# inactive, or when an active assignment moves to another case or agency.
UPDATE_CHANGES_COUNT = """
    (OLD.status IN ('invited', 'accepted') OR NEW.status IN ('invited', 'accepted'))
    AND ((OLD.status IN ('invited', 'accepted')) <> (NEW.status IN ('invited', 'accepted'))
         OR OLD.case_id <> NEW.case_id OR OLD.agency_id <> NEW.agency_id)
"""

POSTGRESQL = [
    RESYNC,
    """
    CREATE FUNCTION reviews_count_routing_reviewers(for_case bigint, for_agency bigint)
    RETURNS void AS $$
    DECLARE
        active integer;
    BEGIN
        PERFORM 1 FROM cases_submission WHERE id = for_case FOR NO KEY UPDATE;
        SELECT count(*) INTO active FROM reviews_assignment
         WHERE case_id = for_case AND agency_id = for_agency
           AND status IN ('invited', 'accepted');
        UPDATE cases_caserouting SET reviewers = active
         WHERE case_id = for_case AND agency_id = for_agency AND reviewers <> active;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE FUNCTION reviews_assignment_count_reviewers() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM reviews_count_routing_reviewers(OLD.case_id, OLD.agency_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (OLD.case_id <> NEW.case_id
                                                      OR OLD.agency_id <> NEW.agency_id)) THEN
            PERFORM reviews_count_routing_reviewers(NEW.case_id, NEW.agency_id);
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER reviews_assignment_count_reviewers_insert
        AFTER INSERT ON reviews_assignment
        FOR EACH ROW WHEN (NEW.status IN ('invited', 'accepted'))
        EXECUTE FUNCTION reviews_assignment_count_reviewers()
    """,
    f"""
    CREATE TRIGGER reviews_assignment_count_reviewers_update
        AFTER UPDATE OF status, case_id, agency_id ON reviews_assignment
        FOR EACH ROW WHEN ({UPDATE_CHANGES_COUNT})
        EXECUTE FUNCTION reviews_assignment_count_reviewers()
    """,
    """
    CREATE TRIGGER reviews_assignment_count_reviewers_delete
        AFTER DELETE ON reviews_assignment
        FOR EACH ROW WHEN (OLD.status IN ('invited', 'accepted'))
        EXECUTE FUNCTION reviews_assignment_count_reviewers()
    """,
    """
    CREATE FUNCTION reviews_caserouting_count_reviewers() RETURNS trigger AS $$
    BEGIN
        PERFORM 1 FROM cases_submission WHERE id = NEW.case_id FOR NO KEY UPDATE;
        SELECT count(*) INTO NEW.reviewers FROM reviews_assignment
         WHERE case_id = NEW.case_id AND agency_id = NEW.agency_id
           AND status IN ('invited', 'accepted');
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER reviews_caserouting_count_reviewers
        BEFORE INSERT ON cases_caserouting
        FOR EACH ROW EXECUTE FUNCTION reviews_caserouting_count_reviewers()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS reviews_caserouting_count_reviewers ON cases_caserouting",
    "DROP FUNCTION IF EXISTS reviews_caserouting_count_reviewers()",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_delete ON reviews_assignment",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_update ON reviews_assignment",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_insert ON reviews_assignment",
    "DROP FUNCTION IF EXISTS reviews_assignment_count_reviewers()",
    "DROP FUNCTION IF EXISTS reviews_count_routing_reviewers(bigint, bigint)",
]


# Count the active reviewers of the routing of OLD or NEW again.
SQLITE_RECOUNT = """
        UPDATE cases_caserouting SET reviewers = (
            SELECT count(*) FROM reviews_assignment a
            WHERE a.case_id = {row}.case_id AND a.agency_id = {row}.agency_id
              AND a.status IN ('invited', 'accepted')
        )
        WHERE case_id = {row}.case_id AND agency_id = {row}.agency_id;
"""

SQLITE = [
    RESYNC,
    """
    CREATE TRIGGER reviews_assignment_count_reviewers_insert
    AFTER INSERT ON reviews_assignment
    FOR EACH ROW WHEN NEW.status IN ('invited', 'accepted')
    BEGIN"""
    + SQLITE_RECOUNT.format(row="NEW")
    + "    END",
    f"""
    CREATE TRIGGER reviews_assignment_count_reviewers_update
    AFTER UPDATE OF status, case_id, agency_id ON reviews_assignment
    FOR EACH ROW WHEN {UPDATE_CHANGES_COUNT}
    BEGIN"""
    + SQLITE_RECOUNT.format(row="OLD")
    + SQLITE_RECOUNT.format(row="NEW")
    + "    END",
    """
    CREATE TRIGGER reviews_assignment_count_reviewers_delete
    AFTER DELETE ON reviews_assignment
    FOR EACH ROW WHEN OLD.status IN ('invited', 'accepted')
    BEGIN"""
    + SQLITE_RECOUNT.format(row="OLD")
    + "    END",
    """
    CREATE TRIGGER reviews_caserouting_count_reviewers
    AFTER INSERT ON cases_caserouting
    FOR EACH ROW
    BEGIN
        UPDATE cases_caserouting SET reviewers = (
            SELECT count(*) FROM reviews_assignment a
            WHERE a.case_id = NEW.case_id AND a.agency_id = NEW.agency_id
              AND a.status IN ('invited', 'accepted')
        )
        WHERE id = NEW.id;
    END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS reviews_caserouting_count_reviewers",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_delete",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_update",
    "DROP TRIGGER IF EXISTS reviews_assignment_count_reviewers_insert",
]


def run_per_vendor(statements):
    """A RunPython operation that runs the statements written for the database in use."""

    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotSupportedError(f"The queue's counts need triggers written for {vendor}.")
        for sql in statements[vendor]:
            schema_editor.execute(sql, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_routing_copies_triggers"),
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            run_per_vendor({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            run_per_vendor({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        )
    ]
