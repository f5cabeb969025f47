"""A coordinator assigns reviewers, changes due dates, removes them and routes the case.

Every action is a POST from the workspace's assignments section. A person of
another role gets 403; a coordinator who cannot see the case gets 404; a refusal
comes back as a message on the workspace and changes nothing. An accepted
invitation opens the case to the reviewer, and a removal closes it at once.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.access import REVIEW_CASE, VIEW_CASE
from portal.cases.models import CaseRouting, CaseStatus
from portal.notifications.models import Notification
from reviews.models import Assignment
from reviews.reminders import INVITATION_STALE_DAYS, invitations_unanswered
from reviews.services import assignments as assignment_services
from reviews.services.base import ReviewActionRefused
from tests.conftest import Role, make_person
from tests.reviews.fixtures_coordinator import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_coordinator import (
    accept,
    assigned,
    declare_conflict,
    due_in,
    invite,
    messages_of,
    today,
)

OTHER_ROLES = ["reviewer", "submitter", "operator", "outsider", "platform_admin"]


def workspace(case):
    return reverse("reviews:workspace", args=[case.pk])


def reviewers(case):
    """The workspace's reviewers section: the list, and the coordinator's forms."""
    return reverse("reviews:case_reviewers", args=[case.pk])


def assign_data(reviewer, case, *, role="reviewer", due=None):
    return {"reviewer": reviewer.pk, "role": role, "due_date": (due or due_in(case)).isoformat()}


def post_assign(client, case, reviewer, **kwargs):
    return client.post(
        reverse("reviews:assign", args=[case.pk]), assign_data(reviewer, case, **kwargs)
    )


def holding(case):
    return list(
        Assignment.objects.filter(case=case, status__in=Assignment.HOLDING).values_list(
            "reviewer__username", "status"
        )
    )


# --- assigning --------------------------------------------------------------------------------


def test_a_coordinator_invites_a_reviewer_of_the_agency(client, coordinator, reviewer, case):
    client.force_login(coordinator)
    response = post_assign(client, case, reviewer, role="lead", due=due_in(case, -5))

    assert response.status_code == 302
    assert response.url == reviewers(case)
    assignment = Assignment.objects.get(case=case)
    assert (assignment.reviewer, assignment.role, assignment.status) == (
        reviewer,
        "lead",
        "invited",
    )
    assert assignment.due_date == due_in(case, -5)
    assert (assignment.agency.acronym, assignment.invited_by) == ("CAISI", coordinator)
    assert AuditEvent.objects.for_target(case).filter(action="assignment.invited").count() == 1
    assert any("is invited as lead reviewer" in text for text in messages_of(response))


def test_the_invited_reviewer_is_notified_and_nobody_else(
    client, coordinator, reviewer, second_reviewer, case
):
    before = set(Notification.objects.values_list("pk", flat=True))
    client.force_login(coordinator)
    post_assign(client, case, reviewer)

    new = Notification.objects.exclude(pk__in=before)
    assert [n.recipient for n in new] == [reviewer]
    notification = new.get()
    assert notification.title == f"You are invited to review {case.number}"
    assignment = Assignment.objects.get(case=case)
    assert notification.url == reverse("reviews:assignment_respond", args=[assignment.pk])
    assert "Attest to conflicts of interest" in notification.body


def test_a_double_submitted_assign_form_makes_one_assignment(client, coordinator, reviewer, case):
    client.force_login(coordinator)
    first = post_assign(client, case, reviewer)
    second = post_assign(client, case, reviewer)

    assert holding(case) == [("reviewer", "invited")]
    assert second.status_code == 302
    assert f"{reviewer.display_name()} is already assigned to the case." in messages_of(second)
    assert Notification.objects.filter(recipient=reviewer).count() == 1
    assert first.status_code == 302


@pytest.mark.postgres
def test_two_coordinators_assigning_the_same_reviewer_at_once_make_one_row(
    transactional_db, coordinator, reviewer, caisi, case
):
    """Both requests lock the case row; the second sees the first's assignment and is refused."""
    other_coordinator = make_person("coordinator-2", unit=caisi, role=Role.COORDINATOR)
    start = threading.Barrier(2)
    outcomes = []

    def assign_as(actor):
        try:
            start.wait(timeout=5)
            invite(actor, case, reviewer)
            outcomes.append("assigned")
        except ReviewActionRefused as refusal:
            outcomes.append(refusal.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=assign_as, args=(c,)) for c in (coordinator, other_coordinator)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == sorted(
        ["assigned", f"{reviewer.display_name()} is already assigned to the case."]
    )
    assert Assignment.objects.filter(case=case, reviewer=reviewer).count() == 1


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_only_coordinators_may_assign(client, request, persona, coordinator, reviewer, case):
    client.force_login(request.getfixturevalue(persona))
    response = post_assign(client, case, reviewer)
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_a_coordinator_of_an_agency_not_on_the_case_gets_404(
    client, nsa_coordinator, nsa_reviewer, case
):
    client.force_login(nsa_coordinator)
    assert post_assign(client, case, nsa_reviewer).status_code == 404
    assert client.post(reverse("reviews:assign", args=[999_999]), {}).status_code == 404
    assert not Assignment.objects.exists()


def test_assigning_answers_post_only(client, coordinator, case):
    client.force_login(coordinator)
    assert client.get(reverse("reviews:assign", args=[case.pk])).status_code == 405


# --- the rules of an assignment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (lambda case: due_in(case, +1), "on or before the case's review due date"),
        (lambda case: today() - timedelta(days=1), "The due date is in the past."),
    ],
    ids=["after-case-due", "past"],
)
def test_a_due_date_outside_the_review_is_refused(
    client, coordinator, reviewer, case, due, message
):
    client.force_login(coordinator)
    response = post_assign(client, case, reviewer, due=due(case))
    assert any(message in text for text in messages_of(response))
    assert not Assignment.objects.exists()
    assert not AuditEvent.objects.for_target(case).filter(action="assignment.invited").exists()


def test_the_case_due_date_itself_is_allowed(client, coordinator, reviewer, case):
    client.force_login(coordinator)
    post_assign(client, case, reviewer, due=case.review_due)
    assert holding(case) == [("reviewer", "invited")]


@pytest.mark.parametrize("person", ["coordinator", "submitter", "nsa_reviewer", "inactive"])
def test_only_an_active_reviewer_of_the_agency_can_be_assigned(
    client, request, coordinator, caisi, case, person
):
    if person == "inactive":
        target = make_person("gone", unit=caisi, role=Role.REVIEWER, is_active=False)
    else:
        target = request.getfixturevalue(person)
    client.force_login(coordinator)
    response = post_assign(client, case, target)
    assert "Reviewer: Choose an active reviewer of your agency." in messages_of(response)
    assert not Assignment.objects.exists()
    # The service refuses them too, whatever form it is called from.
    with pytest.raises(ReviewActionRefused, match="active reviewer of your agency"):
        invite(coordinator, case, target)


def test_a_reviewer_who_declared_a_conflict_cannot_be_assigned_again(
    client, coordinator, reviewer, case
):
    declare_conflict(reviewer, invite(coordinator, case, reviewer))
    client.force_login(coordinator)
    response = post_assign(client, case, reviewer)
    assert f"{reviewer.display_name()} declared a conflict of interest on this case." in (
        messages_of(response)
    )
    assert holding(case) == []


def test_a_reviewer_who_declined_without_a_conflict_can_be_invited_again(
    coordinator, reviewer, case
):
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=invite(coordinator, case, reviewer).pk,
        accept=False,
        financial_interest=False,
        recent_employment=False,
        decline_reason="On leave",
    )
    invite(coordinator, case, reviewer)
    assert holding(case) == [("reviewer", "invited")]


def test_a_second_lead_from_the_agency_is_refused(
    client, coordinator, reviewer, second_reviewer, case
):
    invite(coordinator, case, reviewer, role=Assignment.Role.LEAD)
    client.force_login(coordinator)
    response = post_assign(client, case, second_reviewer, role="lead")
    assert "The case already has a lead reviewer from your agency." in messages_of(response)
    assert holding(case) == [("reviewer", "invited")]
    # As a plain reviewer they are welcome.
    post_assign(client, case, second_reviewer, role="reviewer")
    assert len(holding(case)) == 2


@pytest.mark.parametrize("status", [CaseStatus.DRAFT, CaseStatus.WITHDRAWN])
def test_a_case_outside_review_takes_no_assignments(client, coordinator, reviewer, case_in, status):
    case = case_in(status)
    client.force_login(coordinator)
    response = client.post(
        reverse("reviews:assign", args=[case.pk]),
        {"reviewer": reviewer.pk, "role": "reviewer", "due_date": today().isoformat()},
    )
    # A draft was never routed: out of reach. A withdrawn case is refused in words.
    if status == CaseStatus.DRAFT:
        assert response.status_code == 404
    else:
        assert "The case is withdrawn." in messages_of(response)
    assert not Assignment.objects.exists()


def test_an_unreadable_form_is_refused_with_its_errors(client, coordinator, reviewer, case):
    client.force_login(coordinator)
    response = client.post(
        reverse("reviews:assign", args=[case.pk]),
        {"reviewer": reviewer.pk, "role": "boss", "due_date": "soon"},
    )
    texts = messages_of(response)
    assert any(text.startswith("Role:") for text in texts)
    assert "Due date: Enter a valid date." in texts
    assert not Assignment.objects.exists()


# --- accepting opens the case, removing closes it ---------------------------------------------


def test_accepting_opens_the_workspace_and_removal_closes_it_at_once(
    client, coordinator, reviewer, case
):
    assignment = invite(coordinator, case, reviewer)
    client.force_login(reviewer)
    assert client.get(workspace(case)).status_code == 404  # invited is not yet assigned

    accept(reviewer, assignment)
    assert reviewer.has_perm(VIEW_CASE, case) and reviewer.has_perm(REVIEW_CASE, case)
    assert client.get(workspace(case)).status_code == 200

    coordinator_client = client.__class__()
    coordinator_client.force_login(coordinator)
    response = coordinator_client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    assert response.status_code == 302 and response.url == reviewers(case)

    assert client.get(workspace(case)).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.REMOVED
    assert not reviewer.has_perm(VIEW_CASE, case)
    assert Notification.objects.filter(
        recipient=reviewer, title=f"You were removed from {case.number}"
    ).exists()


def test_an_invitation_can_be_withdrawn_before_it_is_answered(client, coordinator, reviewer, case):
    assignment = invite(coordinator, case, reviewer)
    client.force_login(coordinator)
    client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.REMOVED
    # Removed, the reviewer can be invited again.
    invite(coordinator, case, reviewer)
    assert holding(case) == [("reviewer", "invited")]


def test_removing_twice_is_refused_in_words(client, coordinator, reviewer, case):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(coordinator)
    client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    again = client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    assert "This assignment is already removed." in messages_of(again)
    assert AuditEvent.objects.for_target(case).filter(action="assignment.removed").count() == 1


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_only_coordinators_may_remove(client, request, persona, coordinator, reviewer, case):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


def test_a_coordinator_who_cannot_see_the_case_gets_404_on_remove(
    client, coordinator, nsa_coordinator, reviewer, case
):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(nsa_coordinator)
    assert (
        client.post(reverse("reviews:assignment_remove", args=[assignment.pk])).status_code == 404
    )
    assert client.post(reverse("reviews:assignment_remove", args=[999_999])).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


def test_a_coordinator_of_another_routed_agency_cannot_remove_our_reviewer(
    client, coordinator, nsa_coordinator, reviewer, nsa, case
):
    from portal.cases.services import lifecycle as case_services

    case_services.route_case(actor=coordinator, case_id=case.pk, agency=nsa)
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(nsa_coordinator)
    response = client.post(reverse("reviews:assignment_remove", args=[assignment.pk]))
    assert "Only a coordinator of the reviewer's agency can remove them." in messages_of(response)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED


# --- due dates --------------------------------------------------------------------------------


def post_due(client, assignment, due):
    return client.post(
        reverse("reviews:assignment_due", args=[assignment.pk]), {"due_date": due.isoformat()}
    )


def test_a_coordinator_moves_a_due_date(client, coordinator, reviewer, case):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(coordinator)
    response = post_due(client, assignment, due_in(case, -30))
    assert response.status_code == 302 and response.url == reviewers(case)
    assignment.refresh_from_db()
    assert assignment.due_date == due_in(case, -30)
    event = AuditEvent.objects.for_target(case).get(action="assignment.due_changed")
    assert event.actor == coordinator


@pytest.mark.parametrize(
    ("due", "message"),
    [
        (lambda case: due_in(case, +1), "The due date must be on or before"),
        (lambda case: today() - timedelta(days=1), "The due date is in the past."),
    ],
    ids=["after-case-due", "past"],
)
def test_a_due_date_outside_the_review_is_refused_on_change(
    client, coordinator, reviewer, case, due, message
):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(coordinator)
    response = post_due(client, assignment, due(case))
    assert any(message in text for text in messages_of(response))
    before = assignment.due_date
    assignment.refresh_from_db()
    assert assignment.due_date == before


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_only_coordinators_may_change_due_dates(
    client, request, persona, coordinator, reviewer, case
):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(request.getfixturevalue(persona))
    assert post_due(client, assignment, due_in(case, -30)).status_code == 403
    assert Assignment.objects.get(pk=assignment.pk).due_date == assignment.due_date


def test_a_coordinator_who_cannot_see_the_case_gets_404_on_due_change(
    client, coordinator, nsa_coordinator, reviewer, case
):
    assignment = assigned(coordinator, case, reviewer)
    client.force_login(nsa_coordinator)
    assert post_due(client, assignment, due_in(case, -30)).status_code == 404
    assert Assignment.objects.get(pk=assignment.pk).due_date == assignment.due_date


# --- routing ----------------------------------------------------------------------------------


def test_a_coordinator_routes_the_case_to_another_agency(
    client, coordinator, nsa_coordinator, nsa, case
):
    other = client.__class__()
    other.force_login(nsa_coordinator)
    assert other.get(workspace(case)).status_code == 404

    client.force_login(coordinator)
    response = client.post(reverse("reviews:route", args=[case.pk]), {"agency": nsa.pk})
    assert response.status_code == 302 and response.url == reviewers(case)
    assert CaseRouting.objects.filter(case=case, agency=nsa).exists()
    assert other.get(workspace(case)).status_code == 200


def test_routing_twice_or_to_an_inactive_agency_is_refused(client, coordinator, caisi, nsa, case):
    nsa.active = False
    nsa.save()
    client.force_login(coordinator)
    response = client.post(reverse("reviews:route", args=[case.pk]), {"agency": caisi.pk})
    assert "The case is already routed to CAISI." in messages_of(response)
    response = client.post(reverse("reviews:route", args=[case.pk]), {"agency": nsa.pk})
    assert "NSA does not take cases now." in messages_of(response)
    assert list(
        CaseRouting.objects.filter(case=case).values_list("agency__acronym", flat=True)
    ) == ["CAISI"]


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_only_coordinators_may_route(client, request, persona, nsa, case):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("reviews:route", args=[case.pk]), {"agency": nsa.pk})
    assert response.status_code == 403
    assert not CaseRouting.objects.filter(agency=nsa).exists()


def test_a_coordinator_of_an_agency_not_on_the_case_cannot_route_it(
    client, nsa_coordinator, nsa, case
):
    client.force_login(nsa_coordinator)
    response = client.post(reverse("reviews:route", args=[case.pk]), {"agency": nsa.pk})
    assert response.status_code == 404
    assert not CaseRouting.objects.filter(agency=nsa).exists()


# --- the assignments section of the workspace -------------------------------------------------


def test_the_coordinator_sees_the_forms_with_only_reviewers_free_to_take_the_case(
    client, coordinator, reviewer, second_reviewer, nsa_reviewer, caisi, nsa, case
):
    conflicted = make_person("conflicted", unit=caisi, role=Role.REVIEWER)
    make_person("gone", unit=caisi, role=Role.REVIEWER, is_active=False)
    declare_conflict(conflicted, invite(coordinator, case, conflicted))
    invite(coordinator, case, reviewer)
    client.force_login(coordinator)
    response = client.get(reviewers(case))

    assert response.status_code == 200
    choices = [
        label
        for value, label in response.context["assign_form"].fields["reviewer"].choices
        if value
    ]
    assert choices == [f"{second_reviewer.display_name()} (0 open)"]
    assert response.context["assign_form"]["due_date"].initial == case.review_due
    agencies = [
        label for value, label in response.context["route_form"].fields["agency"].choices if value
    ]
    assert agencies == ["NSA"]
    html = response.content.decode()
    assert reverse("reviews:assign", args=[case.pk]) in html
    assert reverse("reviews:route", args=[case.pk]) in html
    invited = Assignment.objects.get(reviewer=reviewer)
    assert reverse("reviews:assignment_remove", args=[invited.pk]) in html
    assert reverse("reviews:assignment_due", args=[invited.pk]) in html
    # The declined assignment is listed, but it has nothing left to manage.
    declined = Assignment.objects.get(reviewer=conflicted)
    assert reverse("reviews:assignment_remove", args=[declined.pk]) not in html


def test_the_overview_sums_up_the_reviewers_and_links_to_their_section(
    client, coordinator, reviewer, case
):
    invite(coordinator, case, reviewer)
    client.force_login(coordinator)
    response = client.get(workspace(case))
    html = response.content.decode()
    assert reviewer.display_name() in html
    assert f'href="{reviewers(case)}"' in html
    # The forms are on the reviewers section only.
    assert "assign_form" not in response.context and "route_form" not in response.context
    assert reverse("reviews:assign", args=[case.pk]) not in html


def test_news_of_an_assignment_links_the_coordinators_to_the_reviewers_section(
    coordinator, reviewer, case
):
    assignment = invite(coordinator, case, reviewer)
    assignment_services.respond_to_invitation(
        actor=reviewer,
        assignment_id=assignment.pk,
        accept=False,
        financial_interest=False,
        recent_employment=False,
        decline_reason="Busy.",
    )
    news = Notification.objects.get(recipient=coordinator, title__contains="declined")
    assert news.url == reviewers(case)


def test_the_unanswered_invitation_reminder_links_to_the_reviewers_section(
    coordinator, reviewer, case
):
    invite(coordinator, case, reviewer)
    later = timezone.now() + timedelta(days=INVITATION_STALE_DAYS + 1)
    (reminder,) = list(invitations_unanswered(later))
    assert str(reminder.url) == reviewers(case)


def test_reviewers_see_who_reviews_but_no_forms_and_no_conflict_text(
    client, coordinator, reviewer, second_reviewer, case
):
    declare_conflict(second_reviewer, invite(coordinator, case, second_reviewer), "Secret ties")
    mine = assigned(coordinator, case, reviewer)
    client.force_login(reviewer)
    response = client.get(reviewers(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert second_reviewer.display_name() in html
    assert "Secret ties" not in html
    assert "assign_form" not in response.context and "route_form" not in response.context
    assert reverse("reviews:assign", args=[case.pk]) not in html
    assert reverse("reviews:assignment_remove", args=[mine.pk]) not in html
    rows = {a.reviewer: a.declared_conflict for a in response.context["assignments"]}
    assert rows == {reviewer: False, second_reviewer: True}


def test_the_conflict_text_is_not_shown_to_the_coordinator_page_either(
    client, coordinator, reviewer, case
):
    declare_conflict(reviewer, invite(coordinator, case, reviewer), "Secret ties")
    client.force_login(coordinator)
    html = client.get(reviewers(case)).content.decode()
    assert "Secret ties" not in html
    assert ">Yes</td>" in html


def test_a_refusal_is_shown_on_the_workspace_as_an_alert(client, coordinator, reviewer, case):
    client.force_login(coordinator)
    response = client.post(
        reverse("reviews:assign", args=[case.pk]),
        assign_data(reviewer, case, due=due_in(case, +5)),
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="usa-alert usa-alert--error' in html
    assert "on or before the case&#x27;s review due date" in html


def test_the_reviewers_section_makes_the_same_queries_with_2_and_12_reviewers(
    client, coordinator, caisi, case, django_assert_max_num_queries
):
    def add_reviewers(count, start):
        for number in range(start, start + count):
            person = make_person(f"r{number}", unit=caisi, role=Role.REVIEWER)
            if number % 2:
                assigned(coordinator, case, person)
            else:
                invite(coordinator, case, person)

    add_reviewers(2, 0)
    client.force_login(coordinator)
    client.get(reviewers(case))  # warms the per-process caches (content types) before counting
    with django_assert_max_num_queries(40) as captured:
        assert client.get(reviewers(case)).status_code == 200
    few = len(captured)  # now: the next request resets the connection's query log
    add_reviewers(10, 2)
    client.get(reviewers(case))  # the header's badges are counted once, then cached
    with django_assert_max_num_queries(few) as many:
        response = client.get(reviewers(case))
    assert len(response.context["assignments"]) == 12
    assert len(many) == few
