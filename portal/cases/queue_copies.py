"""The routings' copies of their case's status and due date, compared with the case.

Triggers keep them (``portal/cases/migrations/0002_routing_copies_triggers.py``);
this is what ``manage.py check_queue_copies`` runs to prove it, or to repair
them after the triggers were bypassed (a data-only restore, a rebuilt table).
"""

from django.db import connection

from portal.core.hooks import queue_copy

# Both dates may be empty: "differs" is null-safe, in SQL both databases speak.
DRIFTED = """
    SELECT r.id, r.case_status, r.review_due, s.status, s.review_due
    FROM cases_caserouting r JOIN cases_submission s ON s.id = r.case_id
    WHERE r.case_status <> s.status
       OR r.review_due <> s.review_due
       OR (r.review_due IS NULL) <> (s.review_due IS NULL)
"""

REPAIR = f"""
    UPDATE cases_caserouting SET
        case_status = (SELECT status FROM cases_submission WHERE id = cases_caserouting.case_id),
        review_due = (SELECT review_due FROM cases_submission WHERE id = cases_caserouting.case_id)
    WHERE id IN (SELECT id FROM ({DRIFTED}) drifted)
"""  # noqa: S608 - fixed statements, no input reaches them


@queue_copy("case status and due date")
def case_copies(repair: bool) -> list[tuple]:
    with connection.cursor() as cursor:
        # Safe: fixed statements, no input reaches them.
        cursor.execute(DRIFTED + " ORDER BY r.id")
        rows = [
            (routing, f"{status}, due {due or '-'}", f"{case_status}, due {case_due or '-'}")
            for routing, status, due, case_status, case_due in cursor.fetchall()
        ]
        if repair and rows:
            cursor.execute(REPAIR)  # safe: a fixed statement
    return rows
