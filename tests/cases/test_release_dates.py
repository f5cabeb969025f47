"""Release dates that can change: moving the planned release, and marking the actual one.

The developer moves a submitted case's planned release with a reason (audited,
every routed agency told, short notice judged again); a bad date, an empty
reason, a closed case or anyone but the developer is refused and changes
nothing. Marking the case released asks for the day the model became public
(today or earlier, not before submission) and flags a release that came
before the recommendation in every queue.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services import release_dates
from portal.cases.services.lifecycle import CaseActionRefused
from portal.notifications.models import Notification
from tests.cases.fixtures_pages import messages_of
from tests.conftest import Role, make_person

S = CaseStatus
TODAY = timezone.localdate


def state_of(case) -> dict:
    """What a refused change must leave exactly as it was."""
    return {
        "row": Submission.objects.filter(pk=case.pk).values().get(),
        "audit_events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def submitted_days_ago(case, days: int) -> Submission:
    """Move the submission (and the clock's start) back: the case was submitted ``days`` ago."""
    moment = timezone.now() - timedelta(days=days)
    Submission.objects.filter(pk=case.pk).update(submitted_at=moment)
    case.clock_events.update(at=moment)
    case.refresh_from_db()
    return case


@pytest.fixture
def routed_to_nsa(case_in, coordinator, nsa, nsa_coordinator):
    """A case in review, routed to CAISI (at submission) and to NSA."""
    case = case_in(S.IN_REVIEW)
    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    case.refresh_from_db()
    return case


def change(actor, case, planned, reason="The launch event moved."):
    return release_dates.change_release_date(
        actor=actor, case_id=case.pk, planned_release_date=planned, reason=reason
    )


# --- moving the planned release ----------------------------------------------------------


def test_the_developer_moves_the_release_and_every_routed_agency_is_told(
    routed_to_nsa, submitter, coordinator, nsa_coordinator
):
    case = routed_to_nsa
    previous = case.planned_release_date
    later = previous + timedelta(days=21)

    moved = change(submitter, case, later, reason="Our launch event moved to March.")

    assert moved.planned_release_date == later
    event = AuditEvent.objects.for_target(case).get(action="case.release_date_changed")
    assert event.actor == submitter
    assert event.details == {
        "from": previous.isoformat(),
        "to": later.isoformat(),
        "reason": "Our launch event moved to March.",
        "short_notice": False,
    }
    for person in (coordinator, nsa_coordinator):
        notice = Notification.objects.get(recipient=person, title__contains="planned release")
        assert f"{later:%B %-d, %Y}" in notice.title
        assert "Our launch event moved to March." in notice.body
    assert not Notification.objects.filter(recipient=submitter, title__contains="planned").exists()


def test_an_earlier_release_becomes_short_notice_with_the_reason_and_flags_the_review_due(
    case_in, submitter
):
    case = case_in(S.SUBMITTED)
    assert not case.short_notice
    sooner = TODAY() + timedelta(days=30)

    moved = change(submitter, case, sooner, reason="A competitor launched; we ship sooner.")

    assert moved.short_notice
    assert moved.short_notice_reason == "A competitor launched; we ship sooner."
    assert moved.release_before_review_due
    title = Notification.objects.filter(title__contains="planned release").first().title
    assert "(now short notice)" in title


def test_a_later_release_lifts_short_notice(case_in, submitter):
    case = case_in(S.SUBMITTED)
    change(submitter, case, TODAY() + timedelta(days=30), reason="Sooner.")

    moved = change(
        submitter,
        case,
        TODAY() + timedelta(days=settings.REVIEW_NOTICE_DAYS + 10),
        reason="Later again.",
    )

    assert (moved.short_notice, moved.short_notice_reason) == (False, "")
    assert not moved.release_before_review_due


@pytest.mark.parametrize(
    ("planned", "reason", "message"),
    [
        (lambda: TODAY() - timedelta(days=12), "Moved.", "before the case was submitted"),
        (lambda: TODAY() - timedelta(days=1), "Moved.", "is in the past"),
        (lambda: TODAY() + timedelta(days=40), "   ", "Give a reason"),
    ],
    ids=["before-submission", "in-the-past", "no-reason"],
)
def test_bad_release_dates_are_refused_and_change_nothing(
    case_in, submitter, planned, reason, message
):
    case = submitted_days_ago(case_in(S.SUBMITTED), 10)
    before = state_of(case)

    with pytest.raises(CaseActionRefused, match=message):
        change(submitter, case, planned(), reason=reason)

    assert state_of(case) == before


def test_the_same_date_is_refused(case_in, submitter):
    case = case_in(S.SUBMITTED)
    before = state_of(case)
    with pytest.raises(CaseActionRefused, match="already"):
        change(submitter, case, case.planned_release_date)
    assert state_of(case) == before


@pytest.mark.parametrize(
    ("status", "message"),
    [(S.DRAFT, "edit its details"), (S.RELEASED, "released"), (S.WITHDRAWN, "withdrawn")],
)
def test_drafts_and_closed_cases_are_refused(case_in, submitter, status, message):
    case = case_in(status)
    before = state_of(case)
    with pytest.raises(CaseActionRefused, match=message):
        change(submitter, case, TODAY() + timedelta(days=200))
    assert state_of(case) == before


@pytest.mark.parametrize("persona", ["coordinator", "reviewer", "operator", "other_submitter"])
def test_only_the_developer_moves_the_release(case_in, persona, request):
    case = case_in(S.IN_REVIEW)
    actor = request.getfixturevalue(persona)
    before = state_of(case)
    with pytest.raises(CaseActionRefused, match="Only the developer"):
        change(actor, case, TODAY() + timedelta(days=200))
    assert state_of(case) == before


def test_the_page_moves_the_release_and_refuses_bad_input_with_a_message(
    client, case_in, submitter
):
    case = submitted_days_ago(case_in(S.SUBMITTED), 10)
    url = reverse("portal:case_change_release_date", args=[case.pk])
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert url in page and 'name="planned_release_date"' in page

    before = state_of(case)
    for data, message in [
        ({"planned_release_date": "", "reason": "x"}, "Give the new planned public release date"),
        ({"planned_release_date": "soon", "reason": "x"}, "as a date"),
        (
            {"planned_release_date": (TODAY() - timedelta(days=20)).isoformat(), "reason": "x"},
            "before the case was submitted",
        ),
        (
            {"planned_release_date": (TODAY() + timedelta(days=9)).isoformat(), "reason": ""},
            "reason",
        ),
    ]:
        refused = client.post(url, data)
        assert refused.status_code == 302
        assert message in messages_of(refused)[0]
    assert state_of(case) == before

    new = TODAY() + timedelta(days=200)
    done = client.post(url, {"planned_release_date": new.isoformat(), "reason": "Later."})
    assert f"The planned public release is now {new:%B %-d, %Y}." in messages_of(done)[0]
    case.refresh_from_db()
    assert case.planned_release_date == new
    page = client.get(reverse("portal:case_timeline", args=[case.pk])).content.decode()
    assert "Planned release date changed to" in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("coordinator", 403), ("reviewer", 404), ("operator", 404), ("other_submitter", 404)],
)
def test_the_page_denies_everyone_but_the_developer(client, case_in, request, persona, status):
    case = case_in(S.IN_REVIEW)
    client.force_login(request.getfixturevalue(persona))
    before = state_of(case)
    response = client.post(
        reverse("portal:case_change_release_date", args=[case.pk]),
        {"planned_release_date": (TODAY() + timedelta(days=200)).isoformat(), "reason": "x"},
    )
    assert response.status_code == status
    assert state_of(case) == before


# --- the warning: a release before the review is due --------------------------------------


@pytest.fixture
def early_release(case_in, submitter, coordinator, reviewer):
    """A case in review whose release was moved before its review due date; the
    reviewer is its accepted lead, so the case is in their list too."""
    from reviews.services import assignments as assignment_services

    case = case_in(S.IN_REVIEW)
    assignment = assignment_services.assign_reviewer(
        actor=coordinator, case_id=case.pk, reviewer=reviewer, role="lead", due_date=case.review_due
    )
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
        other_conflict="",
    )
    change(submitter, case, TODAY() + timedelta(days=20), reason="Sooner.")
    case.refresh_from_db()
    assert case.release_before_review_due
    return case


WARNING = "Release before review due"


def test_every_case_page_workspace_and_queue_warns_of_a_release_before_review_due(
    client, early_release, submitter, coordinator, reviewer
):
    case = early_release
    pages = [
        (submitter, reverse("portal:case_detail", args=[case.pk])),
        (submitter, reverse("portal:case_list")),
        (coordinator, reverse("portal:case_detail", args=[case.pk])),
        (coordinator, reverse("reviews:workspace", args=[case.pk])),
        (coordinator, reverse("reviews:case_timeline", args=[case.pk])),
        (coordinator, reverse("reviews:agency_queue")),
        (reviewer, reverse("reviews:my_cases")),
    ]
    for person, url in pages:
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, url
        assert WARNING in response.content.decode(), url


def test_no_warning_when_the_release_comes_after_the_review(client, case_in, submitter):
    case = case_in(S.IN_REVIEW)
    client.force_login(submitter)
    for url in (reverse("portal:case_detail", args=[case.pk]), reverse("portal:case_list")):
        assert WARNING not in client.get(url).content.decode()


# --- marking the release --------------------------------------------------------------------


def release(actor, case, on):
    return case_services.mark_released(actor=actor, case_id=case.pk, released_on=on)


def test_a_release_after_the_recommendation_is_not_flagged(case_in, submitter):
    case = case_in(S.RECOMMENDATION_ISSUED)
    released = release(submitter, case, TODAY())
    assert (released.status, released.released_on) == (S.RELEASED, TODAY())
    assert released.recommendation_issued_on == TODAY()
    assert not released.released_before_recommendation
    event = AuditEvent.objects.for_target(case).get(action="case.released")
    assert event.details["released_on"] == TODAY().isoformat()
    assert event.details["before_recommendation"] is False


def test_a_backdated_release_before_the_issue_day_is_flagged(case_in, submitter):
    case = submitted_days_ago(case_in(S.RECOMMENDATION_ISSUED), 10)
    released = release(submitter, case, TODAY() - timedelta(days=3))
    assert released.released_before_recommendation


def test_a_release_during_the_review_is_flagged_in_every_queue(
    client, early_release, submitter, coordinator, reviewer, mailoutbox
):
    case = early_release
    released = release(submitter, case, TODAY())
    assert released.released_before_recommendation
    assert Notification.objects.filter(
        recipient=coordinator, title__contains="before the recommendation was issued"
    ).exists()

    flag = "Released before recommendation"
    for person, url in [
        (submitter, reverse("portal:case_list")),
        (submitter, reverse("portal:case_detail", args=[case.pk])),
        (coordinator, reverse("reviews:agency_queue") + "?status=released"),
        (reviewer, reverse("reviews:my_cases")),
    ]:
        client.force_login(person)
        assert flag in client.get(url).content.decode(), url


def test_a_release_closes_open_information_requests_and_the_paused_clock(case_in, submitter):
    case = case_in(S.INFO_REQUESTED)
    released = release(submitter, case, TODAY())
    assert released.status == S.RELEASED
    assert not released.clock_paused


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (lambda: TODAY() + timedelta(days=1), "is in the future"),
        (lambda: TODAY() - timedelta(days=11), "before the case was submitted"),
    ],
    ids=["future", "before-submission"],
)
def test_bad_release_days_are_refused_and_change_nothing(case_in, submitter, on, message):
    case = submitted_days_ago(case_in(S.RECOMMENDATION_ISSUED), 10)
    before = state_of(case)
    with pytest.raises(CaseActionRefused, match=message):
        release(submitter, case, on())
    assert state_of(case) == before


def test_the_release_form_asks_for_the_day_and_refuses_a_future_one(client, case_in, submitter):
    case = case_in(S.RECOMMENDATION_ISSUED)
    client.force_login(submitter)
    url = reverse("portal:case_mark_released", args=[case.pk])
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert 'name="released_on"' in page

    before = state_of(case)
    missing = client.post(url, {"understood": "on"})
    assert messages_of(missing) == ["Public release date: Give the day the model became public."]
    future = client.post(
        url, {"understood": "on", "released_on": (TODAY() + timedelta(days=2)).isoformat()}
    )
    assert "is in the future" in messages_of(future)[0]
    assert state_of(case) == before


def test_only_the_developer_marks_the_release(case_in, coordinator, other_submitter):
    case = case_in(S.RECOMMENDATION_ISSUED)
    before = state_of(case)
    for actor in (coordinator, other_submitter):
        with pytest.raises(CaseActionRefused, match="Only the developer"):
            release(actor, case, TODAY())
    assert state_of(case) == before


# --- the assignment form: a due date after the release is a warning ------------------------


def test_a_due_date_after_the_planned_release_is_allowed_with_a_warning(
    client, early_release, coordinator, caisi
):
    from reviews.models import Assignment

    case = early_release
    second = make_person("second-reviewer", unit=caisi, role=Role.REVIEWER)
    late = case.planned_release_date + timedelta(days=5)
    assert late <= case.review_due
    client.force_login(coordinator)

    # The assign form, with its hint, is on the workspace's Reviewers section.
    workspace = client.get(reverse("reviews:case_reviewers", args=[case.pk])).content.decode()
    assert f"The planned public release is {case.planned_release_date:%B %-d, %Y}" in workspace

    response = client.post(
        reverse("reviews:assign", args=[case.pk]),
        {"reviewer": second.pk, "role": "reviewer", "due_date": late.isoformat()},
    )
    shown = messages_of(response)
    assert any("falls after the planned public release" in text for text in shown), shown
    assert Assignment.objects.filter(case=case, reviewer=second, due_date=late).exists()

    lead = Assignment.objects.get(case=case, role="lead")
    changed = client.post(
        reverse("reviews:assignment_due", args=[lead.pk]), {"due_date": late.isoformat()}
    )
    assert any("falls after the planned public release" in t for t in messages_of(changed))
    lead.refresh_from_db()
    assert lead.due_date == late
    workspace = client.get(reverse("reviews:case_reviewers", args=[case.pk])).content.decode()
    assert "After the planned release" in workspace

    on_time = client.post(
        reverse("reviews:assignment_due", args=[lead.pk]),
        {"due_date": case.planned_release_date.isoformat()},
    )
    assert not any("planned public release" in t for t in messages_of(on_time))
