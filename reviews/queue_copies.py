"""The routings' counts of active reviewers, compared with the assignments.

Triggers keep them (``reviews/migrations/0002_routing_reviewers_triggers.py``);
``manage.py check_queue_copies`` runs this to prove it, or to repair them. The
statuses that count are ``Assignment.ACTIVE``, so a change of that tuple that
the triggers did not follow shows up here as drift.
"""

from django.db import connection

from portal.core.hooks import queue_copy
from reviews.models import Assignment

ACTIVE = ", ".join(["%s"] * len(Assignment.ACTIVE))

DRIFTED = f"""
    SELECT r.id, r.reviewers, count(a.id) AS active
    FROM cases_caserouting r LEFT JOIN reviews_assignment a
      ON a.case_id = r.case_id AND a.agency_id = r.agency_id AND a.status IN ({ACTIVE})
    GROUP BY r.id, r.reviewers
    HAVING r.reviewers <> count(a.id)
"""  # noqa: S608 - fixed statements, no input reaches them

REPAIR = f"""
    UPDATE cases_caserouting SET reviewers = (
        SELECT count(*) FROM reviews_assignment a
        WHERE a.case_id = cases_caserouting.case_id AND a.agency_id = cases_caserouting.agency_id
          AND a.status IN ({ACTIVE})
    )
    WHERE id IN (SELECT id FROM ({DRIFTED}) drifted)
"""  # noqa: S608 - fixed statements, no input reaches them


@queue_copy("active reviewers")
def reviewer_counts(repair: bool) -> list[tuple]:
    active = list(Assignment.ACTIVE)
    with connection.cursor() as cursor:
        # Safe: fixed statements; the statuses are bound parameters.
        cursor.execute(DRIFTED + " ORDER BY r.id", active)
        rows = cursor.fetchall()
        if repair and rows:
            cursor.execute(REPAIR, active + active)  # safe: as above
    return rows
