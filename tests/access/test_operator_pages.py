"""The operator's pages: granted models, one grant, the organization's download history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant
from portal.core.days import days_until
from portal.files.models import Download
from tests.access.conftest import WEIGHTS_SIZE, bearer, file_named, store_artifact

WEIGHTS = "aurora-2.0.safetensors"


def download_url(access_grant, name):
    artifact = file_named(access_grant, name).artifact
    return reverse("access:download", args=[access_grant.pk, artifact.pk, name])


@pytest.fixture
def signed_in(client, operator):
    client.force_login(operator)
    return client


# -- Granted models ------------------------------------------------------------


def test_the_dashboard_lists_each_live_grant_with_its_files(signed_in, grant, accepted):
    html = signed_in.get(reverse("access:granted_models")).content.decode()

    weights = file_named(grant, WEIGHTS).artifact
    assert "Models granted to First Harbor Bank" in html
    assert "Aurora 2.0" in html and "Northwind Labs" in html
    assert grant.case.number in html
    assert f"{WEIGHTS_SIZE:,} bytes" in html
    assert weights.sha256 in html
    assert f'href="{download_url(grant, WEIGHTS)}"' in html
    assert f'href="{download_url(grant, "model_card.md")}"' in html
    assert f'href="{reverse("access:sha256sums", args=[grant.pk])}"' in html
    days = days_until(grant.ends_at)
    assert f"{days} days left" in html
    assert "Accept the current terms" not in html


def test_the_dashboard_points_to_the_terms_until_they_are_accepted(
    signed_in, grant, terms, operator
):
    html = signed_in.get(reverse("access:granted_models")).content.decode()
    assert "Accept the current terms before you download" in html
    assert f'href="{reverse("access:terms")}"' in html

    access_services.accept_terms(actor=operator, terms_id=terms.pk)
    html = signed_in.get(reverse("access:granted_models")).content.decode()
    assert "Accept the current terms" not in html


def test_the_dashboard_keeps_closed_grants_without_downloads(signed_in, grant_in, accepted):
    closed = {state: grant_in(state) for state in ("revoked", "expired")}  # one open at a time
    grant_in("nominated")
    html = signed_in.get(reverse("access:granted_models")).content.decode()
    assert "No access is open to your organization now." in html
    assert "Access that ended or was revoked" in html
    revoked, expired = closed["revoked"], closed["expired"]
    revoked_on = timezone.localtime(revoked.revoked_at)
    ended_on = timezone.localtime(expired.ends_at)
    assert f"Revoked on {revoked_on:%B %-d, %Y}: Release moved; access paused." in html
    assert f"Ended on {ended_on:%B %-d, %Y}" in html
    for access_grant in closed.values():
        assert f'href="{reverse("access:grant_detail", args=[access_grant.pk])}"' in html
        assert f"/access/grants/{access_grant.pk}/artifacts/" not in html
        assert reverse("access:sha256sums", args=[access_grant.pk]) not in html
    # The nomination was never the bank's: it is on no list of the bank's.
    assert html.count('id="closed-grant-') == 2


def test_the_dashboard_leaves_out_other_banks_grants(client, grant, operator2):
    client.force_login(operator2)
    html = client.get(reverse("access:granted_models")).content.decode()
    assert "Models granted to Second Harbor Savings" in html
    assert "Aurora 2.0" not in html


def test_a_day_before_the_end_it_says_less_than_a_day(signed_in, submitter, granted_case, bank):
    access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        ends_at=timezone.now() + timedelta(hours=5),
    )
    html = signed_in.get(reverse("access:granted_models")).content.decode()
    assert "less than a day left" in html


def grant_more(submitter, make_ready_draft, move_case, bank, count):
    """``count`` more submitted cases, each with two artifacts, granted to the bank."""
    for number in range(count):
        case = make_ready_draft(model_name=f"Model {number}")
        store_artifact(submitter, case, f"weights {number}".encode(), name=f"w{number}.bin")
        move_case(case, "submit")
        access_services.grant_access(actor=submitter, case_id=case.pk, operator=bank)


def test_the_dashboard_takes_the_same_queries_for_one_grant_or_six(
    signed_in, grant, accepted, submitter, make_ready_draft, move_case, bank
):
    url = reverse("access:granted_models")
    signed_in.get(url)  # warm caches (content types, the session)
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(url).status_code == 200

    grant_more(submitter, make_ready_draft, move_case, bank, 5)
    card_only = AccessGrant.objects.exclude(pk=grant.pk).first()
    card_only.all_artifacts = False  # both ways of choosing artifacts on the page
    card_only.save(update_fields=["all_artifacts"])
    card_only.artifacts.set(card_only.case.artifacts.all()[:1])
    signed_in.get(url)  # the header's badges are counted once, then cached
    with CaptureQueriesContext(connection) as six:
        response = signed_in.get(url)
    assert response.content.decode().count("Download<span") == 1 * 2 + 4 * 2 + 1
    assert len(six) == len(one), [q["sql"] for q in six]


# -- One grant -----------------------------------------------------------------

STATES = [s.value for s in AccessGrant.Status]
# The grant page is the operator's: other roles get 403, other banks 404. A grant
# that closed stays readable to its bank (its state and reports, nothing else); a
# nomination never approved was never the bank's.
PAGE_MATRIX = {
    "operator": {"nominated": 404, "active": 200, "revoked": 200, "expired": 200},
    "operator2": dict.fromkeys(STATES, 404),
    "submitter": dict.fromkeys(STATES, 403),
    "other_submitter": dict.fromkeys(STATES, 403),
    "coordinator": dict.fromkeys(STATES, 403),
    "reviewer": dict.fromkeys(STATES, 403),
    "outsider": dict.fromkeys(STATES, 403),
}


@pytest.mark.parametrize("state", STATES)
def test_grant_page_matrix(
    grant_in,
    state,
    operator,
    operator2,
    submitter,
    other_submitter,
    coordinator,
    reviewer,
    outsider,
):
    people = locals()
    access_grant = grant_in(state)
    url = reverse("access:grant_detail", args=[access_grant.pk])
    for persona, expected in PAGE_MATRIX.items():
        client = Client()
        client.force_login(people[persona])
        assert client.get(url).status_code == expected[state], (persona, state)
    anonymous = Client().get(url)
    assert (anonymous.status_code, anonymous.url) == (302, f"{reverse('login')}?next={url}")


def test_the_grant_page_shows_files_and_download_links(signed_in, grant, accepted):
    html = signed_in.get(reverse("access:grant_detail", args=[grant.pk])).content.decode()
    assert "Open" in html
    assert f'href="{download_url(grant, WEIGHTS)}"' in html
    assert "sha256sum -c SHA256SUMS" in html
    assert "Accept the current terms" not in html


def test_a_grant_whose_window_ended_shows_its_state_without_links(
    signed_in, submitter, operator, granted_case, bank, frozen
):
    ended = access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        ends_at=timezone.now() + timedelta(hours=1),
    )
    frozen.advance(hours=1)  # the sweep has not run: still active, and still visible
    signed_in.force_login(operator)  # an hour without activity ended the operator's session
    html = signed_in.get(reverse("access:grant_detail", args=[ended.pk])).content.decode()
    assert "Ended" in html
    assert "nothing can be downloaded" in html
    assert WEIGHTS in html
    assert f"/access/grants/{ended.pk}/artifacts/" not in html
    assert reverse("access:sha256sums", args=[ended.pk]) not in html


def test_a_grant_not_open_yet_says_when_it_opens(signed_in, submitter, granted_case, bank):
    starts_at = timezone.now() + timedelta(days=2)
    later = access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=bank,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=3),
    )
    html = signed_in.get(reverse("access:grant_detail", args=[later.pk])).content.decode()
    assert "Not open yet" in html and "Access opens" in html
    assert "/artifacts/" not in html


def test_the_operators_pages_answer_get_only(signed_in, grant):
    for url in (
        reverse("access:granted_models"),
        reverse("access:grant_detail", args=[grant.pk]),
        reverse("access:download_history"),
        reverse("access:terms"),
    ):
        assert signed_in.post(url).status_code == 405, url


@pytest.mark.parametrize("url_name", ["access:granted_models", "access:download_history"])
@pytest.mark.parametrize("persona", ["submitter", "coordinator", "reviewer", "outsider", "admin"])
def test_the_operators_pages_are_403_for_other_roles(client, personas, persona, url_name):
    client.force_login(personas[persona])
    assert client.get(reverse(url_name)).status_code == 403


# -- Download history ----------------------------------------------------------


def test_the_history_shows_the_organizations_downloads(
    client, grant, operator, operator2, accepted, terms
):
    token = bearer(operator)
    Client().get(
        download_url(grant, WEIGHTS).replace("/access/", "/api/v1/"),
        HTTP_AUTHORIZATION=token,
        HTTP_RANGE="bytes=0-99",
        HTTP_USER_AGENT="curl/8.5.0",
    )
    intruder = Client()
    intruder.force_login(operator2)
    intruder.get(download_url(grant, WEIGHTS))  # logged for the developer, not shown here
    assert Download.objects.count() == 2

    client.force_login(operator)
    html = client.get(reverse("access:download_history")).content.decode()
    assert "Downloads by First Harbor Bank" in html
    assert "Allowed (range)" in html and "bytes=0-99" in html and "curl/8.5.0" in html
    assert token.removeprefix("Bearer ")[:12] in html
    assert "operator2" not in html and "Denied" not in html

    client.force_login(operator2)
    other = client.get(reverse("access:download_history")).content.decode()
    assert "Nobody in your organization has downloaded anything yet." in other


def test_the_history_is_paginated(signed_in, grant, accepted):
    url = download_url(grant, "model_card.md")
    for _ in range(51):
        signed_in.head(url)
    first = signed_in.get(reverse("access:download_history"))
    assert first.content.decode().count("Headers only") == 50
    assert "Page 1 of 2" in first.content.decode()
    second = signed_in.get(reverse("access:download_history") + "?page=2")
    assert second.content.decode().count("Headers only") == 1
