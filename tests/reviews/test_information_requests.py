"""Information requests: a reviewer asks, the clock pauses, the developer answers in
the browser (text and streamed files), the clock runs again."""

import hashlib
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.core.nonces import issue_nonce
from reviews.forms_requests import answer_scope
from reviews.models import Assignment, InformationRequest, RequestAttachment
from reviews.services import requests as request_services
from tests.reviews.fixtures_requests import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_requests import (
    accept,
    actions,
    answer_nonce,
    answer_url,
    ask,
    case_url,
    mails_to,
    messages_of,
    named_file,
    notified,
    review_panel,
    stored_files,
    submit_case,
    workspace_url,
)


def open_form(days=10, question="Which red-team results are final?") -> dict:
    due = timezone.localdate() + timedelta(days=days)
    return {"request-question": question, "request-response_due": due.isoformat()}


def post_answer(
    client, info_request, *, answer="The results of March 3 are final.", files=(), nonce
):
    return client.post(
        answer_url(info_request),
        {"answer": answer, "nonce": nonce, "files": list(files)},
        follow=True,
    )


# --- opening a request --------------------------------------------------------------------


def test_the_lead_opens_a_request_and_the_clock_pauses(
    client,
    lead,
    submitter,
    org_admin,
    case_in_review,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:request_open", args=[case_in_review.pk]), open_form(), follow=True
        )

    requests_section = reverse("reviews:case_requests", args=[case_in_review.pk])
    assert response.redirect_chain[-1][0] == requests_section
    info_request = InformationRequest.objects.get(case=case_in_review)
    assert info_request.status == "open"
    assert info_request.asked_by == lead
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.INFO_REQUESTED
    assert case_in_review.clock_paused
    assert actions(case_in_review)[-2:] == ["request.opened", "case.clock_paused"]
    for person in (submitter, org_admin):
        assert notified(person, "CAISI asks for information")
        assert mails_to(person)
    assert "Information requested" in response.content.decode()
    assert "Which red-team results are final?" in response.content.decode()


def test_the_developer_sees_information_requested_on_its_case_page(
    client, lead, submitter, case_in_review
):
    ask(lead, case_in_review)
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    page = response.content.decode()
    assert "Information requested" in page
    assert "Clock paused" in page
    assert "Which red-team results are final?" in page
    assert review_panel(response)["open_request_count"] == 1


def test_a_reviewer_opens_a_request_too(client, coordinator, second_reviewer, case_in_review):
    accept(coordinator, second_reviewer, case_in_review, role=Assignment.Role.REVIEWER)
    client.force_login(second_reviewer)

    client.post(reverse("reviews:request_open", args=[case_in_review.pk]), open_form())

    assert InformationRequest.objects.filter(case=case_in_review, asked_by=second_reviewer).exists()


def test_an_observer_cannot_open_a_request(client, coordinator, observer, case_in_review):
    accept(coordinator, observer, case_in_review, role=Assignment.Role.OBSERVER)
    client.force_login(observer)
    before = AuditEvent.objects.count()

    response = client.post(
        reverse("reviews:request_open", args=[case_in_review.pk]), open_form(), follow=True
    )

    assert "Only the case's assigned reviewers can do this." in messages_of(response)
    assert not InformationRequest.objects.exists()
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW
    assert AuditEvent.objects.count() == before


def test_the_routed_coordinator_does_not_open_requests(client, coordinator, case_in_review):
    client.force_login(coordinator)

    response = client.post(
        reverse("reviews:request_open", args=[case_in_review.pk]), open_form(), follow=True
    )

    assert "Only the case's assigned reviewers can do this." in messages_of(response)
    assert not InformationRequest.objects.exists()


@pytest.mark.parametrize("persona", ["nsa_coordinator", "submitter", "operator", "outsider"])
def test_people_off_the_case_get_404_for_opening_a_request(
    client, persona, request, case_in_review
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("reviews:request_open", args=[case_in_review.pk]), open_form())

    assert response.status_code == 404
    assert not InformationRequest.objects.exists()


def test_a_due_date_of_today_is_refused(client, lead, case_in_review):
    client.force_login(lead)

    response = client.post(
        reverse("reviews:request_open", args=[case_in_review.pk]), open_form(days=0), follow=True
    )

    assert "Answer due: The answer due date must be after today." in messages_of(response)
    assert not InformationRequest.objects.exists()


def test_the_workspace_offers_the_request_form_to_working_reviewers_only(
    client, lead, coordinator, observer, case_in_review
):
    accept(coordinator, observer, case_in_review, role=Assignment.Role.OBSERVER)
    client.force_login(lead)
    requests_section = reverse("reviews:case_requests", args=[case_in_review.pk])
    assert client.get(requests_section).context["request_form"] is not None
    client.force_login(observer)
    assert client.get(requests_section).context["request_form"] is None


# --- answering in the browser -------------------------------------------------------------


def test_the_developer_answers_with_text_and_files_and_the_clock_resumes(
    client, lead, submitter, case_in_review, media, django_capture_on_commit_callbacks, mailoutbox
):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)
    files = [
        named_file("red-team.pdf", b"%PDF red team results"),
        named_file("eval log.txt", b"run 1: pass\nrun 2: pass\n"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = post_answer(client, info_request, files=files, nonce=nonce)

    assert "Answer sent with 2 files. The reviewers have been told." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "answered"
    assert info_request.answer == "The results of March 3 are final."
    assert info_request.answered_by == submitter
    stored = {a.original_name: a for a in info_request.attachments.all()}
    assert set(stored) == {"red-team.pdf", "eval log.txt"}
    pdf = stored["red-team.pdf"]
    assert pdf.size == len(b"%PDF red team results")
    assert pdf.sha256 == hashlib.sha256(b"%PDF red team results").hexdigest()
    assert pdf.file.name.startswith(f"answers/{case_in_review.pk}/")
    assert not list((media / ".incoming").glob("*"))
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW
    assert not case_in_review.clock_paused
    assert actions(case_in_review)[-2:] == ["request.answered", "case.clock_resumed"]
    assert notified(lead, "answered your request")
    assert mails_to(lead)


def test_a_bad_file_name_is_refused_and_leaves_no_file(
    client, lead, submitter, case_in_review, media
):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)
    files_before = stored_files(media)
    audit_before = AuditEvent.objects.count()
    files = [
        named_file("good.txt", b"fine"),
        named_file("n" * 300, b"a name too long to keep"),
    ]

    response = post_answer(client, info_request, files=files, nonce=nonce)

    assert "The file name is longer than 255 characters." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "open"
    assert info_request.answer == ""
    assert not RequestAttachment.objects.exists()
    assert stored_files(media) == files_before
    assert AuditEvent.objects.count() == audit_before
    # The refusal did not use up the form: the developer fixes the file and sends again.
    post_answer(client, info_request, files=[named_file("ok.txt", b"ok")], nonce=nonce)
    info_request.refresh_from_db()
    assert info_request.status == "answered"


def test_a_file_over_the_limit_is_refused_and_leaves_no_file(
    client, lead, submitter, case_in_review, media, settings
):
    settings.ARTIFACT_MAX_BYTES = 100
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)
    files_before = stored_files(media)

    response = post_answer(
        client, info_request, files=[named_file("big.bin", b"x" * 500)], nonce=nonce
    )

    assert any("larger than the maximum" in m for m in messages_of(response))
    info_request.refresh_from_db()
    assert info_request.status == "open"
    assert stored_files(media) == files_before


def test_an_empty_answer_is_refused(client, lead, submitter, case_in_review):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)

    response = post_answer(
        client, info_request, answer="   ", nonce=answer_nonce(client, info_request)
    )

    assert "Your answer: This field is required." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "open"


def test_a_double_submitted_answer_form_stores_one_answer(
    client, lead, submitter, case_in_review, media
):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)

    post_answer(client, info_request, answer="First.", nonce=nonce)
    again = post_answer(
        client,
        info_request,
        answer="Second.",
        files=[named_file("late.txt", b"late")],
        nonce=nonce,
    )

    assert any("already sent" in m for m in messages_of(again))
    info_request.refresh_from_db()
    assert info_request.answer == "First."
    assert not RequestAttachment.objects.exists()
    assert actions(case_in_review).count("request.answered") == 1


@pytest.mark.parametrize("close", ["answered", "withdrawn"])
def test_answering_a_closed_request_is_refused_and_changes_nothing(
    client, lead, submitter, case_in_review, close
):
    info_request = ask(lead, case_in_review)
    if close == "answered":
        request_services.answer_request(actor=submitter, request_id=info_request.pk, answer="Done.")
    else:
        request_services.withdraw_request(actor=lead, request_id=info_request.pk)
    client.force_login(submitter)
    # A form the developer had open before the request closed.
    fresh_nonce = issue_nonce(SimpleNamespace(user=submitter), answer_scope(info_request))
    audit_before = AuditEvent.objects.count()

    response = post_answer(client, info_request, answer="Changed my mind.", nonce=fresh_nonce)

    assert f"This request is {close}; it takes no answer." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == close
    assert info_request.answer == ("Done." if close == "answered" else "")
    assert AuditEvent.objects.count() == audit_before


def test_the_panel_offers_no_answer_form_for_a_closed_request(
    client, lead, submitter, case_in_review
):
    info_request = ask(lead, case_in_review)
    request_services.withdraw_request(actor=lead, request_id=info_request.pk)
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    assert answer_url(info_request) not in response.content.decode()


def test_a_request_on_a_withdrawn_case_takes_no_answer(client, lead, submitter, case_in_review):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)
    case_services.withdraw_case(actor=submitter, case_id=case_in_review.pk, reason="Postponed.")

    response = post_answer(client, info_request, nonce=nonce)

    # Withdrawing the case closed the request (reviews.signals), so the answer is refused.
    assert "The case is withdrawn; it takes no answers." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "withdrawn"
    assert info_request.answer == ""
    assert answer_url(info_request) not in client.get(case_url(case_in_review)).content.decode()


def test_two_open_requests_keep_the_clock_paused_until_both_are_answered(
    client, lead, submitter, case_in_review
):
    first = ask(lead, case_in_review, question="First question?")
    second = ask(lead, case_in_review, question="Second question?")
    client.force_login(submitter)

    post_answer(client, first, nonce=answer_nonce(client, first))

    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.INFO_REQUESTED
    assert case_in_review.clock_paused
    assert "case.clock_resumed" not in actions(case_in_review)

    post_answer(client, second, nonce=answer_nonce(client, second))

    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW
    assert actions(case_in_review).count("case.clock_resumed") == 1


def test_a_pause_of_five_days_moves_the_review_due_date_by_five(
    client, frozen, submitter, coordinator, lead, media
):
    frozen.set(2026, 3, 2)
    case = submit_case(submitter)
    accept(coordinator, lead, case, role=Assignment.Role.LEAD)
    case.refresh_from_db()
    assert case.review_due == date(2026, 5, 31)  # March 2 + 90 days

    frozen.set(2026, 3, 12)
    info_request = ask(lead, case)
    frozen.set(2026, 3, 17)
    client.force_login(submitter)
    post_answer(client, info_request, nonce=answer_nonce(client, info_request))

    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert case.review_due == date(2026, 6, 5)
    frozen.set(2026, 3, 22)
    clock = case.clock()
    assert (clock.due, clock.calendar_days, clock.paused_days, clock.government_days) == (
        date(2026, 6, 5),
        20,
        5,
        15,
    )
    shown = "Government days used: 15 · calendar days: 20 · paused 5 days"
    client.force_login(submitter)  # the session of March 17 is over
    overview = reverse("portal:case_detail", args=[case.pk])  # the clock is on the overview
    assert shown in client.get(overview).content.decode()
    client.force_login(lead)
    workspace = client.get(workspace_url(case)).content.decode()
    assert shown in workspace
    assert "Review due June 5, 2026" in workspace


def test_the_due_date_moves_day_by_day_while_the_pause_is_open(
    client, frozen, submitter, coordinator, lead, media
):
    frozen.set(2026, 3, 2)
    case = submit_case(submitter)
    accept(coordinator, lead, case, role=Assignment.Role.LEAD)
    frozen.set(2026, 3, 12)
    ask(lead, case)
    frozen.set(2026, 3, 15)

    client.force_login(lead)
    page = client.get(workspace_url(case)).content.decode()

    assert "Review due June 3, 2026" in page
    assert "Government days used: 10 · calendar days: 13" in page
    assert "while the developer answers 1 information request." in page


# --- who may answer and read --------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_submitter", "lead", "coordinator", "operator"])
def test_only_the_developer_may_post_to_the_answer_url(
    client, persona, request, lead, case_in_review, media
):
    info_request = ask(lead, case_in_review)
    client.force_login(request.getfixturevalue(persona))
    files_before = stored_files(media)

    response = client.post(
        answer_url(info_request),
        {"answer": "Hijack", "nonce": "x", "files": [named_file("a.txt", b"a")]},
    )

    assert response.status_code == 404
    info_request.refresh_from_db()
    assert info_request.status == "open"
    assert stored_files(media) == files_before


def test_the_attachment_downloads_for_the_developer_and_the_reviewers_only(
    client, lead, submitter, coordinator, other_submitter, operator, nsa_coordinator, case_in_review
):
    info_request = ask(lead, case_in_review)
    client.force_login(submitter)
    post_answer(
        client,
        info_request,
        files=[named_file("results.csv", b"a,b\n1,2\n")],
        nonce=answer_nonce(client, info_request),
    )
    attachment = info_request.attachments.get()
    url = reverse("reviews:attachment_download", args=[info_request.pk, attachment.pk])

    for person in (submitter, lead, coordinator):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
        assert 'filename="results.csv"' in response["Content-Disposition"]
    for person in (other_submitter, operator, nsa_coordinator):
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.force_login(submitter)
    wrong = reverse("reviews:attachment_download", args=[info_request.pk, attachment.pk + 999])
    assert client.get(wrong).status_code == 404


# --- withdrawing --------------------------------------------------------------------------


def test_the_asker_withdraws_the_request_and_the_clock_resumes(
    client, lead, submitter, case_in_review, django_capture_on_commit_callbacks, mailoutbox
):
    info_request = ask(lead, case_in_review)
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:request_withdraw", args=[info_request.pk]), follow=True
        )

    assert "Request withdrawn." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "withdrawn"
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.IN_REVIEW
    assert actions(case_in_review)[-2:] == ["request.withdrawn", "case.clock_resumed"]
    assert notified(submitter, "CAISI withdrew an information request")
    assert any("CAISI withdrew an information request" in m.subject for m in mails_to(submitter))


def test_another_reviewer_cannot_withdraw_someone_elses_request(
    client, lead, coordinator, second_reviewer, case_in_review
):
    accept(coordinator, second_reviewer, case_in_review)
    info_request = ask(lead, case_in_review)
    client.force_login(second_reviewer)

    response = client.post(reverse("reviews:request_withdraw", args=[info_request.pk]), follow=True)

    assert "Only a coordinator of an agency on the case can do this." in messages_of(response)
    info_request.refresh_from_db()
    assert info_request.status == "open"


def test_the_coordinator_withdraws_a_reviewers_request(client, lead, coordinator, case_in_review):
    info_request = ask(lead, case_in_review)
    client.force_login(coordinator)

    client.post(reverse("reviews:request_withdraw", args=[info_request.pk]))

    info_request.refresh_from_db()
    assert info_request.status == "withdrawn"


@pytest.mark.parametrize("persona", ["submitter", "other_submitter", "nsa_coordinator"])
def test_people_outside_the_agencies_get_404_for_withdrawing(
    client, persona, request, lead, case_in_review
):
    info_request = ask(lead, case_in_review)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("reviews:request_withdraw", args=[info_request.pk]))

    assert response.status_code == 404
    info_request.refresh_from_db()
    assert info_request.status == "open"


def test_an_answer_without_its_csrf_token_is_refused_and_leaves_no_file(
    lead, submitter, case_in_review, media
):
    from django.test import Client

    info_request = ask(lead, case_in_review)
    client = Client(enforce_csrf_checks=True)
    client.force_login(submitter)
    nonce = answer_nonce(client, info_request)
    files_before = stored_files(media)

    response = client.post(
        answer_url(info_request),
        {"answer": "No token.", "nonce": nonce, "files": [named_file("a.txt", b"a" * 1000)]},
    )

    assert response.status_code == 403
    assert stored_files(media) == files_before
    info_request.refresh_from_db()
    assert info_request.status == "open"
