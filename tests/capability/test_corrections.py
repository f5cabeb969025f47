"""Correcting a reported score after submission: kept, audited, evaluated again, retracted."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.capability.models import JumpEvaluation
from portal.cases.models import ScoreCorrection
from portal.cases.services import lifecycle as case_services
from portal.cases.services.corrections import correct_score
from portal.cases.services.lifecycle import CaseActionRefused
from portal.notifications.models import Notification
from tests.capability.conftest import reported


def alerts(person):
    return Notification.objects.filter(recipient=person, title__startswith="Capability jump")


@pytest.fixture
def typo(ctf, submit_scores):
    """40 on record, then a typo of 64 for 42 on a 0–100 benchmark: a false jump alert."""
    ctf.min_score, ctf.max_score = Decimal(0), Decimal(100)
    ctf.save()
    submit_scores({ctf: 40})
    return submit_scores({ctf: 64})


def correct(case, benchmark, score, *, actor, reason="Typo: the run scored 42."):
    return correct_score(
        actor=actor,
        case_id=case.pk,
        result_id=reported(case, benchmark).pk,
        score=Decimal(str(score)),
        reason=reason,
    )


def test_a_correction_keeps_the_old_value_and_evaluates_again_beside_the_first(
    typo, ctf, submitter, coordinator
):
    assert typo.capability_jump
    correction = correct(typo, ctf, 42, actor=submitter)

    result = reported(typo, ctf)
    assert result.score == Decimal(42)
    assert (correction.previous_score, correction.score) == (Decimal(64), Decimal(42))
    assert correction.corrected_by == submitter
    first, second = JumpEvaluation.objects.filter(result=result).order_by("pk")
    assert (first.reason, first.score, first.rule) == ("submitted", Decimal(64), "threshold")
    assert (second.reason, second.score, second.rule) == ("correction", Decimal(42), "")
    assert not result.is_jump and result.jump_retracted_at
    typo.refresh_from_db()
    assert not typo.capability_jump and typo.capability_jump_retracted_at
    event = AuditEvent.objects.get(action="eval.corrected")
    assert event.details["previous_score"] == "64.0000"
    assert event.details["reason"] == "Typo: the run scored 42."
    assert AuditEvent.objects.filter(action="capability.reevaluated").exists()


def test_the_alert_is_retracted_never_deleted_and_the_alerted_agency_is_told(
    typo, ctf, submitter, coordinator
):
    [alert] = alerts(coordinator)
    correct(typo, ctf, 42, actor=submitter)

    alert.refresh_from_db()
    assert alert.retracted_at is not None
    notice = Notification.objects.get(recipient=coordinator, title__startswith="Score corrected")
    assert "jump alert retracted" in notice.title
    assert "64 → 42" in notice.body and "Typo: the run scored 42." in notice.body
    assert not Notification.objects.filter(recipient=submitter, title__contains="corrected")


def test_a_correction_that_keeps_the_jump_does_not_retract_nor_alert_twice(
    typo, ctf, submitter, coordinator
):
    correct(typo, ctf, 50, actor=submitter)
    result = reported(typo, ctf)
    assert result.is_jump and not result.jump_retracted_at
    assert alerts(coordinator).count() == 1
    assert alerts(coordinator).get().retracted_at is None
    notice = Notification.objects.get(recipient=coordinator, title__startswith="Score corrected")
    assert "still a jump (threshold)" in notice.title


def test_a_correction_into_a_jump_alerts_once(ctf, submit_scores, submitter, coordinator):
    submit_scores({ctf: 40})
    case = submit_scores({ctf: 41})
    assert not alerts(coordinator).exists()
    correct(case, ctf, 49, actor=submitter, reason="Reported the wrong run.")
    assert alerts(coordinator).count() == 1
    # Nobody was alerted before, so nobody is told of a correction.
    assert not Notification.objects.filter(title__startswith="Score corrected").exists()
    case.refresh_from_db()
    assert case.capability_jump and not case.capability_jump_retracted_at


@pytest.mark.parametrize(
    ("score", "reason", "message"),
    [
        (42, "", "Give a reason"),
        (42, "   ", "Give a reason"),
        (150, "Typo.", "0 to 100"),
        (-5, "Typo.", "0 to 100"),
        (64, "Typo.", "already 64"),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(
    typo, ctf, submitter, score, reason, message
):
    with pytest.raises(CaseActionRefused, match=message):
        correct(typo, ctf, score, actor=submitter, reason=reason)
    assert reported(typo, ctf).score == Decimal(64)
    assert not ScoreCorrection.objects.exists()
    assert JumpEvaluation.objects.filter(reason="correction").count() == 0


def test_drafts_closed_cases_and_other_people_are_refused(
    typo, ctf, submitter, other_submitter, coordinator, make_ready_draft
):
    draft = make_ready_draft(actor=submitter)
    from portal.cases.services.artifacts import set_eval_result

    set_eval_result(actor=submitter, case_id=draft.pk, benchmark=ctf, score=Decimal(10))
    with pytest.raises(CaseActionRefused, match="draft"):
        correct(draft, ctf, 11, actor=submitter)
    for person in (other_submitter, coordinator):
        with pytest.raises(CaseActionRefused):
            correct(typo, ctf, 42, actor=person)
    case_services.withdraw_case(actor=submitter, case_id=typo.pk, reason="Cancelled.")
    with pytest.raises(CaseActionRefused, match="withdrawn"):
        correct(typo, ctf, 42, actor=submitter)
    assert not ScoreCorrection.objects.exists()


# --- the form on the Scores section ---------------------------------------------------


def correct_url(case, benchmark):
    return reverse("portal:eval_result_correct", args=[case.pk, reported(case, benchmark).pk])


def scores_url(case):
    return reverse("portal:case_scores", args=[case.pk])


def test_the_developer_corrects_from_the_scores_section(client, typo, ctf, submitter):
    client.force_login(submitter)
    page = client.get(scores_url(typo)).content.decode()
    assert "Correct a reported score" in page
    response = client.post(correct_url(typo, ctf), {"score": "42", "reason": "Typo."}, follow=True)
    assert response.redirect_chain[-1][0] == scores_url(typo)
    html = response.content.decode()
    assert "Score corrected." in html
    assert "64 → 42" in html
    assert reported(typo, ctf).score == Decimal(42)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"score": "42", "reason": ""}, "Give a reason for the correction."),
        ({"score": "150", "reason": "Typo."}, "0 to 100"),
        ({"score": "1e309", "reason": "Typo."}, "0 to 100"),
        ({"score": "inf", "reason": "Typo."}, "finite"),
        ({"score": "abc", "reason": "Typo."}, "Enter a number."),
        ({"score": "", "reason": "Typo."}, "Enter the corrected score."),
    ],
)
def test_bad_input_on_the_form_is_a_message_not_a_change(
    client, typo, ctf, submitter, data, message
):
    client.force_login(submitter)
    response = client.post(correct_url(typo, ctf), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert reported(typo, ctf).score == Decimal(64)


def test_another_organization_gets_404(client, typo, ctf, other_submitter):
    client.force_login(other_submitter)
    response = client.post(correct_url(typo, ctf), {"score": "42", "reason": "x"})
    assert response.status_code == 404
    assert reported(typo, ctf).score == Decimal(64)


def test_agency_pages_show_the_retraction(client, typo, ctf, submitter, coordinator):
    correct(typo, ctf, 42, actor=submitter)
    client.force_login(coordinator)
    chart = client.get(reverse("portal:frontier_benchmark", args=[ctf.slug])).content.decode()
    assert "Jump retracted" in chart
    listing = client.get(reverse("portal:notification_list")).content.decode()
    assert "Retracted" in listing
    workspace = client.get(reverse("reviews:workspace", args=[typo.pk])).content.decode()
    assert "Capability jump retracted" in workspace
    section = client.get(reverse("reviews:case_scores", args=[typo.pk])).content.decode()
    assert "Jump retracted" in section
    assert "64 → 42" in section and "Typo: the run scored 42." in section
