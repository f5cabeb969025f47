"""Access on the case page, and the case's download log.

The developer's people get the grant form and the controls; a routed
coordinator reads the grants and may nominate, but sees no grant or revoke
control; an operator never sees the case at all.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access import services
from access.panels import access_panel
from portal.cases.models import CaseStatus
from portal.files.models import Download
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access


def access_panel_of(response):
    for template_name, context in response.context["panels"]:
        if template_name == "access/case_panel.html":
            return context
    return None


def grant_action(case):
    return f'action="{reverse("access:grant_create", args=[case.pk])}"'


def revoke_action(access_grant):
    return f'action="{reverse("access:grant_revoke", args=[access_grant.pk])}"'


def approve_action(access_grant):
    return f'action="{reverse("access:grant_approve", args=[access_grant.pk])}"'


def nominate_action(case):
    return f'action="{reverse("access:grant_nominate", args=[case.pk])}"'


def test_the_developer_sees_the_grants_with_the_grant_form_and_controls(
    client, submitter, coordinator, case, live_grant, granite
):
    nomination = services.nominate_access(actor=coordinator, case_id=case.pk, operator=granite)
    client.force_login(submitter)

    response = client.get(case_url(case))

    panel = access_panel_of(response)
    assert [g.pk for g in panel["grants"]] == [nomination.pk, live_grant.pk]
    page = response.content.decode()
    assert grant_action(case) in page
    assert revoke_action(live_grant) in page
    assert approve_action(nomination) in page
    assert approve_action(live_grant) not in page
    assert nominate_action(case) not in page
    # Who nominated: their agency, never their name.
    acronym = coordinator.membership.agency.acronym
    assert f"nominated by {acronym}</span>" in page
    assert page.count("nominated by") == 1
    assert reverse("access:case_downloads", args=[case.pk]) in page
    assert "First Harbor Bank" in page
    assert f"{(case.planned_release_date - timezone.localdate()).days} days left" in page
    # The grant form offers active operators only, and ends at the planned release by default.
    form = panel["grant_form"]
    assert list(form.fields["operator"].queryset) == [live_grant.operator, granite]
    assert timezone.localtime(form.fields["ends_at"].initial).date() == case.planned_release_date


def test_a_routed_coordinator_reads_the_grants_and_may_only_nominate(
    client, coordinator, case, live_grant
):
    client.force_login(coordinator)

    response = client.get(case_url(case))

    panel = access_panel_of(response)
    assert [g.pk for g in panel["grants"]] == [live_grant.pk]
    assert panel["grant_form"] is None
    page = response.content.decode()
    assert nominate_action(case) in page
    assert grant_action(case) not in page
    assert revoke_action(live_grant) not in page
    assert reverse("access:case_downloads", args=[case.pk]) in page


def test_an_accepted_reviewer_reads_the_grants_without_any_control(
    client, accepted_reviewer, case, live_grant
):
    client.force_login(accepted_reviewer)

    response = client.get(case_url(case))

    panel = access_panel_of(response)
    assert [g.pk for g in panel["grants"]] == [live_grant.pk]
    page = response.content.decode()
    for action in (grant_action(case), nominate_action(case), revoke_action(live_grant)):
        assert action not in page


def test_a_draft_has_no_access_section(client, submitter, ready_draft):
    client.force_login(submitter)

    assert client.get(case_url(ready_draft)).status_code == 404
    overview = client.get(reverse("portal:case_detail", args=[ready_draft.pk]))
    assert overview.status_code == 200
    assert case_url(ready_draft) not in overview.content.decode()
    assert access_panel_of(overview) is None


def test_a_closed_case_shows_its_grants_but_no_grant_form(
    client, submitter, case, live_grant, move_case
):
    move_case(case, "withdraw")
    client.force_login(submitter)

    panel = access_panel_of(client.get(case_url(case)))

    assert [g.pk for g in panel["grants"]] == [live_grant.pk]
    assert panel["grant_form"] is None


def test_the_panel_decides_by_the_person_not_the_page(rf, operator, outsider, case, live_grant):
    """Even called for a person who somehow reached the page, it gives them nothing."""
    for person in (operator, outsider):
        request = rf.get("/")
        request.user = person
        assert access_panel(request, case) is None


# --- the download log ------------------------------------------------------------------


def downloads_url(case):
    return reverse("access:case_downloads", args=[case.pk])


@pytest.fixture
def download_events(case, live_grant, operator):
    artifact = case.artifacts.get()
    return Download.objects.bulk_create(
        Download(
            through=live_grant,
            case_id=case.pk,
            stored_file=artifact,
            user=operator,
            outcome=Download.Outcome.ALLOWED,
            bytes_sent=artifact.size,
            ip="192.0.2.7",
        )
        for _ in range(60)
    )


@pytest.mark.parametrize("who", ["submitter", "coordinator", "accepted_reviewer"])
def test_the_developer_and_the_agencies_read_the_download_log(
    client, request, who, case, download_events, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(who))

    # 12, and the header's unread-discussions count (one query on every page).
    with django_assert_max_num_queries(13):
        response = client.get(downloads_url(case))

    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 60
    assert len(page.object_list) == 50
    assert "First Harbor Bank" in response.content.decode()
    assert client.get(downloads_url(case), {"page": 2}).context["page"].object_list.__len__() == 10


@pytest.mark.parametrize(
    "who", ["operator", "other_submitter", "reviewer", "nsa_coordinator", "outsider"]
)
def test_nobody_else_reads_the_download_log(client, request, who, case, download_events):
    client.force_login(request.getfixturevalue(who))

    assert client.get(downloads_url(case)).status_code == 404


def test_the_log_shows_only_this_cases_downloads(
    client, submitter, case, download_events, make_ready_draft, bank
):
    other = make_ready_draft(model_name="Aurora", model_version="9.0")
    from portal.cases.services import lifecycle as case_services

    case_services.submit_case(actor=submitter, case_id=other.pk)
    other_grant = give_access(submitter, other, bank, ends_at=timezone.now() + timedelta(days=3))
    Download.objects.create(
        through=other_grant,
        case_id=other.pk,
        stored_file=other.artifacts.get(),
        outcome=Download.Outcome.DENIED_TERMS,
    )
    client.force_login(submitter)

    response = client.get(downloads_url(case))

    assert response.context["page"].paginator.count == 60
    other.refresh_from_db()
    assert other.status == CaseStatus.SUBMITTED


def test_the_download_log_tells_bytes_sent_from_bytes_requested(
    client, submitter, operator, case, live_grant
):
    """An interrupted transfer shows what was sent of what was asked; a figure only
    requested (nginx X-Accel, not yet read from its log) says so; the developer's
    log and the operator's history agree."""
    artifact = case.artifacts.get()
    Delivery = Download.Delivery
    common = {
        "through": live_grant,
        "case_id": case.pk,
        "stored_file": artifact,
        "user": operator,
        "outcome": Download.Outcome.ALLOWED,
        "whole_file": True,
        "bytes_requested": 52_428_800,
    }
    Download.objects.create(**common, bytes_sent=29_360_128, delivery=Delivery.INTERRUPTED)
    Download.objects.create(**common, bytes_sent=None, delivery=Delivery.REQUESTED)
    Download.objects.create(**common, bytes_sent=52_428_800, delivery=Delivery.COMPLETE)
    Download.objects.create(**common, bytes_sent=1_048_576, delivery=Delivery.STOPPED)

    client.force_login(submitter)
    log = client.get(downloads_url(case)).content.decode()
    client.force_login(operator)
    history = client.get(reverse("access:download_history")).content.decode()

    for text in (log.replace("\xa0", " "), history.replace("\xa0", " ")):
        assert "29,360,128 bytes (28.0 MB) sent of 52,428,800 bytes (50.0 MB) requested" in text
        assert "Interrupted: the client went away" in text
        assert "52,428,800 bytes (50.0 MB) requested" in text
        assert "Requested (bytes sent not measured)" in text
        assert "52,428,800 bytes (50.0 MB) sent" in text and "Sent in full" in text
        assert "1,048,576 bytes (1.0 MB) sent of" in text and "Stopped: access closed" in text


def test_a_grant_to_chosen_artifacts_names_them_and_the_others_say_all(
    client, submitter, case, live_grant, granite
):
    artifact = case.artifacts.get()
    chosen = services.grant_access(
        actor=submitter,
        case_id=case.pk,
        operator=granite,
        all_artifacts=False,
        artifact_ids=[artifact.pk],
    )
    client.force_login(submitter)

    response = client.get(case_url(case))

    panel = access_panel_of(response)
    assert [g.pk for g in panel["grants"]] == [chosen.pk, live_grant.pk]
    assert [g.chosen for g in panel["grants"]] == [[artifact.original_name], []]
    page = response.content.decode()
    assert f'<td data-label="Artifacts">{artifact.original_name}</td>' in page
    assert '<td data-label="Artifacts">All</td>' in page
