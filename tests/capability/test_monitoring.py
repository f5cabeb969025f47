"""A monitoring agency (ONCD): every submitted case's frontier, every jump alert once,
and asking a case's lead agency to route the case to it.

Cases are submitted by ``submit_scores`` and routed to CAISI only; ONCD's
coordinator and reviewer are on no case.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts.models import Agency
from portal.audit.models import AuditEvent
from portal.capability import frontier as capability
from portal.capability import services
from portal.capability.models import RoutingRequest
from portal.capability.selectors import frontier_cases, frontier_results, is_monitoring_staff
from portal.cases.models import CaseRouting, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused
from portal.notifications.models import Notification, SentReminder
from tests.conftest import Role, make_person


@pytest.fixture
def oncd(db):
    return Agency.objects.create(
        name="Office of the National Cyber Director",
        acronym="ONCD",
        slug="oncd",
        monitors_capability=True,
    )


@pytest.fixture
def monitor(oncd):
    return make_person("oncd_coordinator", unit=oncd, role=Role.COORDINATOR)


@pytest.fixture
def monitor_reviewer(oncd):
    return make_person("oncd_reviewer", unit=oncd, role=Role.REVIEWER)


def jump_alerts(person):
    return Notification.objects.filter(recipient=person, title__startswith="Capability jump")


def snapshot():
    return (
        list(RoutingRequest.objects.order_by("pk").values_list("pk", "status")),
        CaseRouting.objects.count(),
        # Not sign-ins: what the actions could have written.
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
        Notification.objects.count(),
    )


# Whose frontier.


def test_monitoring_staff_see_every_submitted_case_and_no_draft(
    ctf, submit_scores, make_ready_draft, monitor, monitor_reviewer, nsa_coordinator, submitter
):
    routed_to_caisi = submit_scores({ctf: 40})
    withdrawn = submit_scores({ctf: 50})
    case_services.withdraw_case(actor=submitter, case_id=withdrawn.pk, reason="Not ready.")
    draft = make_ready_draft(actor=submitter)

    for person in (monitor, monitor_reviewer):
        assert is_monitoring_staff(person)
        seen = set(frontier_cases(person))
        assert seen == {routed_to_caisi, withdrawn}
        assert draft not in seen
        # The frontier only: the case itself stays closed.
        assert not Submission.objects.visible_to(person).exists()
    # An agency that does not monitor sees only what is routed to it: nothing.
    assert not is_monitoring_staff(nsa_coordinator)
    assert not frontier_cases(nsa_coordinator).exists()


def test_the_flag_off_takes_the_frontier_away(ctf, submit_scores, oncd, monitor):
    submit_scores({ctf: 40})
    oncd.monitors_capability = False
    oncd.save()
    monitor.refresh_from_db()

    assert not is_monitoring_staff(monitor)
    assert not frontier_cases(monitor).exists()


def test_the_rows_say_which_cases_the_monitor_may_open(ctf, submit_scores, monitor):
    case = submit_scores({ctf: 40})
    [row] = frontier_results(monitor)
    assert (row.case_open, row.routed_here, row.routing_asked) == (False, False, False)

    services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    [row] = frontier_results(monitor)
    assert row.routing_asked


def test_the_benchmark_page_offers_the_request_not_the_case_page(
    client, ctf, submit_scores, monitor, monitor_reviewer
):
    case = submit_scores({ctf: 40})
    client.force_login(monitor)

    page = client.get(reverse("portal:frontier_benchmark", args=[ctf.slug]))

    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html and str(case.developer) in html
    assert f'href="{reverse("portal:case_detail", args=[case.pk])}"' not in html
    assert reverse("portal:frontier_routing_request", args=[case.pk]) in html
    # ONCD's reviewer sees the frontier too, but asking is a coordinator's act.
    client.force_login(monitor_reviewer)
    html = client.get(reverse("portal:frontier_benchmark", args=[ctf.slug])).content.decode()
    assert case.number in html
    assert reverse("portal:frontier_routing_request", args=[case.pk]) not in html


def test_the_csv_holds_every_submitted_case(client, ctf, submit_scores, monitor):
    first = submit_scores({ctf: 40})
    second = submit_scores({ctf: 46})
    client.force_login(monitor)

    response = client.get(reverse("portal:frontier_csv"))

    body = response.content.decode()
    assert first.number in body and second.number in body


def count_queries(client, url):
    client.get(url)  # the header's badges are counted once, then cached: count a later request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_monitor_s_pages_take_a_fixed_number_of_queries(client, ctf, submit_scores, monitor):
    submit_scores({ctf: 40})
    client.force_login(monitor)
    urls = [reverse("portal:frontier"), reverse("portal:frontier_benchmark", args=[ctf.slug])]
    small = [count_queries(client, url) for url in urls]
    for score in (41, 47, 48, 60):
        submit_scores({ctf: score})
    client.force_login(monitor)  # the clock moved on by days: a fresh session
    assert [count_queries(client, url) for url in urls] == small


# Alerts.


def test_every_jump_alerts_the_monitoring_staff_once(
    ctf, submit_scores, coordinator, monitor, monitor_reviewer, django_capture_on_commit_callbacks
):
    submit_scores({ctf: 40})
    with django_capture_on_commit_callbacks(execute=True):
        case = submit_scores({ctf: 46})

    for person in (coordinator, monitor, monitor_reviewer):
        [alert] = jump_alerts(person)
        assert alert.title == f"Capability jump on {case.number}: {ctf.name} (threshold)"
        # A link every recipient may open: the chart, not the case page.
        assert alert.url == reverse("portal:frontier_benchmark", args=[ctf.slug])
    assert SentReminder.objects.get(kind="capability_jump").recipients == 3

    jumps = list(case.eval_results.filter(is_jump=True).select_related("case", "benchmark"))
    assert capability.alert_jumps(jumps) == 0
    assert jump_alerts(monitor).count() == 1


def test_a_monitor_on_the_case_is_told_once(ctf, submit_scores, settings, monitor):
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "ONCD"]
    submit_scores({ctf: 40})
    submit_scores({ctf: 46})

    assert jump_alerts(monitor).count() == 1


# Asking for a case.


def test_the_lead_accepts_and_the_case_is_routed(
    client, ctf, submit_scores, monitor, coordinator, django_capture_on_commit_callbacks
):
    case = submit_scores({ctf: 40})
    client.force_login(monitor)
    url = reverse("portal:frontier_routing_request", args=[case.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"reason": "A jump on a cyber benchmark."})

    assert response.status_code == 302
    routing_request = RoutingRequest.objects.get()
    assert (routing_request.status, routing_request.agency.acronym) == ("open", "ONCD")
    [asked] = Notification.objects.filter(recipient=coordinator, title__contains="asks for")
    assert asked.url == reverse("reviews:workspace", args=[case.pk])
    assert AuditEvent.objects.filter(action="capability.routing_requested").count() == 1

    # The lead's coordinator sees it on the workspace and accepts.
    client.force_login(coordinator)
    workspace = client.get(reverse("reviews:workspace", args=[case.pk])).content.decode()
    assert "ONCD asks for this case" in workspace and "A jump on a cyber benchmark." in workspace
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:routing_request_answer", args=[routing_request.pk]),
            {"decision": "accept", "note": "Welcome."},
        )

    assert response.status_code == 302
    routing_request.refresh_from_db()
    assert routing_request.status == "accepted"
    assert routing_request.answered_by == coordinator
    assert case.routings.filter(agency__acronym="ONCD").exists()
    assert Submission.objects.visible_to(monitor).filter(pk=case.pk).exists()
    [told] = Notification.objects.filter(recipient=monitor, title__contains="accepted")
    assert "Welcome." in told.body
    assert AuditEvent.objects.filter(action="capability.routing_request_accepted").exists()
    # The panel is gone once answered.
    workspace = client.get(reverse("reviews:workspace", args=[case.pk])).content.decode()
    assert "ONCD asks for this case" not in workspace


def test_the_lead_declines_and_nothing_is_routed(ctf, submit_scores, monitor, coordinator):
    case = submit_scores({ctf: 40})
    routing_request = services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")

    services.answer_routing_request(
        actor=coordinator, request_id=routing_request.pk, accept=False, note="Not now."
    )

    routing_request.refresh_from_db()
    assert routing_request.status == "declined"
    assert not case.routings.filter(agency__acronym="ONCD").exists()
    assert Notification.objects.filter(recipient=monitor, title__contains="declined").exists()
    assert AuditEvent.objects.filter(action="capability.routing_request_declined").exists()
    # Answered: ONCD may ask again.
    services.request_routing(actor=monitor, case_id=case.pk, reason="Now it jumped.")
    assert RoutingRequest.objects.filter(status="open").count() == 1


def test_a_second_open_request_is_refused(ctf, submit_scores, monitor, client):
    case = submit_scores({ctf: 40})
    services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    before = snapshot()

    with pytest.raises(CaseActionRefused, match="already asked"):
        services.request_routing(actor=monitor, case_id=case.pk, reason="Again.")
    client.force_login(monitor)
    response = client.post(
        reverse("portal:frontier_routing_request", args=[case.pk]), {"reason": "Again."}
    )

    assert response.status_code == 400
    assert "already asked" in response.content.decode()
    assert snapshot() == before


def test_a_blank_reason_is_refused(client, ctf, submit_scores, monitor):
    case = submit_scores({ctf: 40})
    client.force_login(monitor)
    before = snapshot()

    response = client.post(
        reverse("portal:frontier_routing_request", args=[case.pk]), {"reason": "   "}
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("asker", ["nsa_coordinator", "monitor_reviewer", "coordinator"])
def test_only_a_monitoring_coordinator_asks(request, client, ctf, submit_scores, asker):
    case = submit_scores({ctf: 40})
    person = request.getfixturevalue(asker)
    before = snapshot()

    with pytest.raises(CaseActionRefused):
        services.request_routing(actor=person, case_id=case.pk, reason="Please.")
    client.force_login(person)
    response = client.post(
        reverse("portal:frontier_routing_request", args=[case.pk]), {"reason": "Please."}
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_a_draft_is_not_on_the_frontier_to_ask_for(client, make_ready_draft, submitter, monitor):
    draft = make_ready_draft(actor=submitter)
    client.force_login(monitor)

    response = client.get(reverse("portal:frontier_routing_request", args=[draft.pk]))

    assert response.status_code == 404


def test_a_withdrawn_case_cannot_be_asked_for(ctf, submit_scores, submitter, monitor):
    case = submit_scores({ctf: 40})
    case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Not ready.")
    before = snapshot()

    with pytest.raises(CaseActionRefused, match="only a case under review"):
        services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    assert snapshot() == before


def test_only_the_lead_s_coordinator_answers(
    client, ctf, submit_scores, settings, monitor, coordinator, nsa_coordinator, reviewer, submitter
):
    settings.DEFAULT_ROUTING_AGENCIES = ["CAISI", "NSA"]  # CAISI leads, NSA participates
    case = submit_scores({ctf: 40})
    routing_request = services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    url = reverse("portal:routing_request_answer", args=[routing_request.pk])
    before = snapshot()

    with pytest.raises(CaseActionRefused, match="lead agency"):
        services.answer_routing_request(
            actor=nsa_coordinator, request_id=routing_request.pk, accept=True
        )
    # NSA's coordinator sees the case but does not lead: 403. The developer and the
    # asking agency do not see the request: 404. Neither the panel shows to them.
    answers = {}
    for person in (nsa_coordinator, submitter, monitor):
        client.force_login(person)
        answers[person.username] = client.post(url, {"decision": "accept"}).status_code
    assert answers == {"nsa-coordinator": 403, "submitter": 404, "oncd_coordinator": 404}
    client.force_login(nsa_coordinator)
    workspace = client.get(reverse("reviews:workspace", args=[case.pk])).content.decode()
    assert "ONCD asks for this case" not in workspace
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert "ONCD" not in page
    assert snapshot() == before


def test_an_answered_request_is_not_answered_again(ctf, submit_scores, monitor, coordinator):
    case = submit_scores({ctf: 40})
    routing_request = services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    services.answer_routing_request(actor=coordinator, request_id=routing_request.pk, accept=False)
    before = snapshot()

    with pytest.raises(CaseActionRefused, match="declined already"):
        services.answer_routing_request(
            actor=coordinator, request_id=routing_request.pk, accept=True
        )
    assert snapshot() == before


def test_an_answer_without_a_decision_changes_nothing(
    client, ctf, submit_scores, monitor, coordinator
):
    case = submit_scores({ctf: 40})
    routing_request = services.request_routing(actor=monitor, case_id=case.pk, reason="Cyber.")
    client.force_login(coordinator)
    before = snapshot()

    response = client.post(
        reverse("portal:routing_request_answer", args=[routing_request.pk]),
        {"decision": "maybe"},
        follow=True,
    )

    assert "Choose to accept or decline the request." in response.content.decode()
    assert snapshot() == before
