"""Demo discussions: an interagency thread and a thread with the developer."""

from django.contrib.auth import get_user_model

from portal.cases.models import Submission
from portal.core.hooks import seeder
from portal.discussions.models import Marking, Thread
from portal.discussions.services import post_message, start_thread


@seeder(order=40)
def seed_discussions(stdout) -> None:
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=["coordinator", "submitter"])}
    case = Submission.objects.filter(model_name="Aurora", model_version="2.0").first()
    if case is None or len(people) < 2 or Thread.objects.filter(case=case).exists():
        stdout.write("Demo discussions: nothing to add.")
        return
    reviewer = case.assignments.filter(status="accepted").select_related("reviewer").first()
    coordinator, submitter = people["coordinator"], people["submitter"]
    interagency = start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="Who runs the exploit-development evaluations?",
        marking=Marking.INTERAGENCY,
        body="CAISI can run the CTF suite this week. Does any other agency want the "
        "exploit-development tasks, or shall we take both?",
    )
    if reviewer is not None:
        post_message(
            actor=reviewer.reviewer,
            thread_id=interagency.pk,
            body="The CTF harness is ready; I can start Monday.",
        )
    with_developer = start_thread(
        actor=coordinator,
        case_id=case.pk,
        subject="Safeguards at launch",
        marking=Marking.DEVELOPER,
        body="Please confirm which classifier version ships with the API at launch.",
    )
    post_message(
        actor=submitter,
        thread_id=with_developer.pk,
        body="Version 4.2 of the misuse classifier; the model card has the details.",
    )
    stdout.write("Demo discussions: an interagency thread and a thread with the developer.")
