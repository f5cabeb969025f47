"""Government-measured scores: recorded by the case's working reviewers, shown beside
the developer's, a discrepancy flagged above the benchmark's tolerance."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from portal.cases.models import EvalResult
from portal.cases.services import lifecycle as case_services
from reviews.services.base import ReviewActionRefused
from reviews.services.scores import record_government_score
from tests.conftest import Role, make_person


@pytest.fixture
def case(ctf, submit_scores, submitter):
    return submit_scores({ctf: "38.5"})


@pytest.fixture
def lead(case, reviewer, accept_lead):
    accept_lead(case, reviewer)
    case.refresh_from_db()
    return reviewer


def record_url(case):
    return reverse("reviews:score_record", args=[case.pk])


def measured(case):
    return EvalResult.objects.filter(case=case, source="government")


def test_the_lead_records_a_score_and_the_workspace_flags_the_discrepancy(client, case, lead, ctf):
    client.force_login(lead)
    response = client.post(
        record_url(case), {"benchmark": ctf.pk, "score": "36.4", "notes": "5 runs"}
    )

    assert response.status_code == 302
    [result] = measured(case)
    assert (result.score, result.notes, result.recorded_by) == (Decimal("36.4"), "5 runs", lead)
    html = client.get(reverse("reviews:case_scores", args=[case.pk])).content.decode()
    assert "36.4" in html and "38.5" in html
    # Government minus developer, with a true minus sign.
    assert "\u22122.1" in html
    assert ">Discrepancy</span>" in html
    assert (
        "differs from the developer's by more than the benchmark's tolerance on 1 benchmark" in html
    )


def test_within_the_tolerance_is_no_discrepancy_and_recording_again_replaces(
    client, case, lead, ctf
):
    record_government_score(actor=lead, case_id=case.pk, benchmark=ctf, score=Decimal("30"))
    record_government_score(actor=lead, case_id=case.pk, benchmark=ctf, score=Decimal("36.5"))

    assert [r.score for r in measured(case)] == [Decimal("36.5")]
    client.force_login(lead)
    html = client.get(reverse("reviews:case_scores", args=[case.pk])).content.decode()
    assert ">Discrepancy</span>" not in html


def test_a_coordinator_or_an_observer_cannot_record(case, coordinator, caisi, ctf):
    observer = make_person("observer", unit=caisi, role=Role.REVIEWER)
    from reviews.services import assignments as assignment_services

    assignment = assignment_services.assign_reviewer(
        actor=coordinator,
        case_id=case.pk,
        reviewer=observer,
        role="observer",
        due_date=case.review_due,
    )
    assignment_services.respond_to_invitation(
        actor=observer,
        assignment_id=assignment.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )
    for person in (coordinator, observer):
        with pytest.raises(ReviewActionRefused):
            record_government_score(actor=person, case_id=case.pk, benchmark=ctf, score=Decimal(1))
    assert not measured(case).exists()


def test_a_coordinators_attempt_comes_back_as_a_message(client, case, coordinator, ctf):
    client.force_login(coordinator)
    response = client.post(record_url(case), {"benchmark": ctf.pk, "score": "30"})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Only the case's assigned reviewers can do this."
    ]
    assert not measured(case).exists()


@pytest.mark.parametrize("persona", ["submitter", "operator", "outsider"])
def test_people_outside_the_agencies_get_404(client, personas, case, ctf, persona):
    client.force_login(personas[persona])
    assert client.post(record_url(case), {"benchmark": ctf.pk, "score": "30"}).status_code == 404
    assert not measured(case).exists()


def test_a_withdrawn_case_takes_no_more_scores(case, lead, submitter, ctf):
    case_services.withdraw_case(actor=submitter, case_id=case.pk, reason="Superseded.")
    with pytest.raises(ReviewActionRefused, match="withdrawn"):
        record_government_score(actor=lead, case_id=case.pk, benchmark=ctf, score=Decimal(1))


def test_the_developer_never_sees_the_government_score(client, case, lead, submitter, ctf):
    record_government_score(actor=lead, case_id=case.pk, benchmark=ctf, score=Decimal("12.25"))
    client.force_login(submitter)
    html = client.get(reverse("portal:case_scores", args=[case.pk])).content.decode()

    assert "38.5" in html
    assert "12.25" not in html
    assert "Government-measured" not in html


def test_government_scores_never_move_the_frontier(case, lead, ctf, submit_scores):
    record_government_score(actor=lead, case_id=case.pk, benchmark=ctf, score=Decimal("90"))
    later = submit_scores({ctf: 44})

    result = later.eval_results.get(source="developer")
    assert (result.frontier_before, result.is_jump) == (Decimal("38.5"), True)
