"""The reviewers' unmarked notes become agency-only discussion threads.

Each case's notes by one agency become one thread marked "one agency only"
for that agency, started by the first note's author at its time; each note is
a message keeping its author, agency and time. Nobody reads a note they could
not read before: a thread for one agency reaches only that agency's staff (a
note used to reach every agency on the case). The notes show as unread once
to the agency's other staff, as new messages of that thread. Reversing it
turns the threads it made back into notes.
"""

from django.db import migrations

SUBJECT = "Notes"


def notes_to_threads(apps, schema_editor):
    Note = apps.get_model("reviews", "Note")
    Thread = apps.get_model("discussions", "Thread")
    Message = apps.get_model("discussions", "Message")
    groups: dict[tuple[int, int], list] = {}
    for note in Note.objects.order_by("created_at", "pk").iterator():
        groups.setdefault((note.case_id, note.agency_id), []).append(note)
    for (case_id, agency_id), notes in groups.items():
        first = notes[0]
        thread = Thread.objects.create(
            case_id=case_id,
            subject=SUBJECT,
            marking="agency_only",
            agency_id=agency_id,
            started_by_id=first.author_id,
            created_at=first.created_at,
        )
        Message.objects.bulk_create(
            Message(
                thread=thread,
                author_id=note.author_id,
                agency_id=note.agency_id,
                body=note.body,
                created_at=note.created_at,
            )
            for note in notes
        )
    # Moved, not copied: the next migration drops the table.
    Note.objects.all().delete()


def threads_to_notes(apps, schema_editor):
    Note = apps.get_model("reviews", "Note")
    Thread = apps.get_model("discussions", "Thread")
    Message = apps.get_model("discussions", "Message")
    threads = Thread.objects.filter(marking="agency_only", subject=SUBJECT)
    for message in Message.objects.filter(thread__in=threads).select_related("thread"):
        note = Note.objects.create(
            case_id=message.thread.case_id,
            author_id=message.author_id,
            agency_id=message.agency_id,
            body=message.body,
        )
        # auto_now_add set the time; give the note back its own.
        Note.objects.filter(pk=note.pk).update(created_at=message.created_at)
    threads.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_agency_positions"),
        ("discussions", "0001_initial"),
    ]

    operations = [migrations.RunPython(notes_to_threads, threads_to_notes)]
