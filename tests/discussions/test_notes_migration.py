"""The reviewers' unmarked notes become agency-only threads (reviews 0004).

Each case's notes by one agency become one thread for that agency; each note a
message with its author, agency and time. Run with the real migrations:
back to before the move, notes written, then forward again.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The agency table as it was when notes existed (before the monitoring flag).
BEFORE = [
    ("reviews", "0004_agency_positions"),
    ("discussions", "0001_initial"),
    ("accounts", "0002_token_scopes_and_expiry"),
]
AFTER = [("reviews", "0005_notes_to_threads")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrator(transactional_db):
    yield migrate
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_each_agency_s_notes_on_a_case_become_one_agency_only_thread(migrator):
    old = migrate(BEFORE)
    Agency = old.get_model("accounts", "Agency")
    Organization = old.get_model("accounts", "Organization")
    User = old.get_model("accounts", "User")
    Submission = old.get_model("cases", "Submission")
    Note = old.get_model("reviews", "Note")
    caisi = Agency.objects.create(name="CAISI", acronym="CAISI", slug="caisi")
    nsa = Agency.objects.create(name="NSA", acronym="NSA", slug="nsa")
    developer = Organization.objects.create(name="Northwind", slug="northwind", kind="developer")
    alice, bob, carol = (User.objects.create(username=name) for name in ("alice", "bob", "carol"))
    case = Submission.objects.create(
        developer=developer,
        model_name="Aurora",
        model_version="2.0",
        status="in_review",
        contact_person=alice,
        created_by=alice,
    )
    times = [datetime(2026, 3, day, 9, 0, tzinfo=UTC) for day in (1, 2, 3)]
    for author, agency, body, at in [
        (alice, caisi, "CAISI's first", times[0]),
        (carol, nsa, "NSA's only", times[1]),
        (bob, caisi, "CAISI's second", times[2]),
    ]:
        note = Note.objects.create(case=case, author=author, agency=agency, body=body)
        Note.objects.filter(pk=note.pk).update(created_at=at)

    new = migrate(AFTER)
    Thread = new.get_model("discussions", "Thread")
    threads = {t.agency_id: t for t in Thread.objects.all()}
    assert set(threads) == {caisi.pk, nsa.pk}
    caisi_thread = threads[caisi.pk]
    assert (caisi_thread.case_id, caisi_thread.marking, caisi_thread.started_by_id) == (
        case.pk,
        "agency_only",
        alice.pk,
    )
    assert caisi_thread.created_at == times[0]
    assert [
        (m.author_id, m.agency_id, m.body, m.created_at)
        for m in caisi_thread.messages.order_by("created_at")
    ] == [
        (alice.pk, caisi.pk, "CAISI's first", times[0]),
        (bob.pk, caisi.pk, "CAISI's second", times[2]),
    ]
    assert [m.body for m in threads[nsa.pk].messages.all()] == ["NSA's only"]
    assert not new.get_model("reviews", "Note").objects.exists()

    # And back: the threads turn into notes again.
    old = migrate(BEFORE)
    assert sorted(old.get_model("reviews", "Note").objects.values_list("body", flat=True)) == [
        "CAISI's first",
        "CAISI's second",
        "NSA's only",
    ]
    assert not old.get_model("discussions", "Thread").objects.exists()
