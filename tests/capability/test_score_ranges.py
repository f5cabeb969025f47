"""A benchmark's valid range: scores outside it, or not finite, are refused naming the range.

In the developer's form, the government's form and both services; a refusal
changes nothing.
"""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.cases.forms import EvalResultForm
from portal.cases.models import Benchmark, EvalResult
from portal.cases.services.artifacts import set_eval_result
from portal.cases.services.lifecycle import CaseActionRefused
from reviews.forms_scores import GovernmentScoreForm
from reviews.services.scores import record_government_score
from tests.capability.conftest import make_benchmark

PERCENT = "from 0 to 100 % solved"
BAD = ["-5", "150", "100.0001", "1e309", "-1e309", "nan", "NaN", "inf", "-Infinity", "sNaN"]


@pytest.fixture
def percent(db):
    return make_benchmark("percent-ctf", min_score=Decimal(0), max_score=Decimal(100))


@pytest.fixture
def elo(db):
    return make_benchmark("arena", unit="Elo", min_score=None, max_score=None)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_range_in_words(percent, elo):
    assert percent.range_text() == PERCENT
    assert elo.range_text() == "any finite number Elo"
    assert make_benchmark("time", unit="hours", min_score=Decimal("0.5")).range_text() == (
        "0.5 hours or more"
    )


@pytest.mark.parametrize("form_class", [EvalResultForm, GovernmentScoreForm])
@pytest.mark.parametrize("value", BAD)
def test_both_forms_refuse_a_score_outside_the_range_or_not_finite(form_class, percent, value):
    form = form_class({"benchmark": percent.pk, "score": value})
    assert not form.is_valid()
    [error] = form.errors["score"]
    assert PERCENT in error


@pytest.mark.parametrize("form_class", [EvalResultForm, GovernmentScoreForm])
@pytest.mark.parametrize("value", ["0", "100", "42.5", " 7 "])
def test_both_forms_take_a_score_inside_the_range(form_class, percent, value):
    form = form_class({"benchmark": percent.pk, "score": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["score"] == Decimal(value.strip())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "Enter a finite number; scores on Arena are any finite number Elo."),
        ("1e309", "Ensure that there are no more than 12 digits in total."),
        ("12.34567", "Ensure that there are no more than 4 decimal places."),
        ("twelve", "Enter a number."),
        ("", "This field is required."),
    ],
)
def test_an_open_ended_benchmark_still_refuses_what_no_score_can_be(elo, value, message):
    form = EvalResultForm({"benchmark": elo.pk, "score": value})
    assert not form.is_valid()
    assert form.errors["score"][0].startswith(message)


def test_the_score_is_a_text_input_so_the_browser_sends_what_was_typed(percent):
    html = str(EvalResultForm()["score"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert f"Percent Ctf ({PERCENT})" in str(EvalResultForm()["benchmark"])


def test_an_int_or_a_float_is_read_as_a_number(percent):
    assert percent.score_problem(42) is None
    assert PERCENT in percent.score_problem(150)
    assert PERCENT in percent.score_problem(float("nan"))


def test_the_model_refuses_out_of_range_scores_in_full_clean(percent, submitter, ready_draft):
    result = EvalResult(
        case=ready_draft, benchmark=percent, score=Decimal(150), recorded_by=submitter
    )
    with pytest.raises(ValidationError) as refused:
        result.full_clean()
    assert PERCENT in str(refused.value)


@pytest.mark.parametrize("value", ["-5", "150", "NaN", "Infinity"])
def test_the_developer_service_refuses_and_changes_nothing(percent, submitter, ready_draft, value):
    set_eval_result(actor=submitter, case_id=ready_draft.pk, benchmark=percent, score=Decimal(40))
    with pytest.raises(CaseActionRefused, match=PERCENT):
        set_eval_result(
            actor=submitter, case_id=ready_draft.pk, benchmark=percent, score=Decimal(value)
        )
    assert ready_draft.eval_results.get().score == Decimal(40)


def test_the_developer_page_refuses_150_with_the_range(client, percent, submitter, ready_draft):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:eval_result_set", args=[ready_draft.pk]),
        {"benchmark": percent.pk, "score": "150"},
    )
    assert response.status_code == 302
    assert any(PERCENT in message for message in messages_of(response))
    assert not ready_draft.eval_results.exists()


def test_the_government_service_and_page_refuse_and_change_nothing(
    client, percent, submit_scores, reviewer, accept_lead
):
    case = submit_scores({percent: 40})
    accept_lead(case, reviewer)
    with pytest.raises(CaseActionRefused, match=PERCENT):
        record_government_score(
            actor=reviewer, case_id=case.pk, benchmark=percent, score=Decimal(-5)
        )
    client.force_login(reviewer)
    response = client.post(
        reverse("reviews:score_record", args=[case.pk]), {"benchmark": percent.pk, "score": "1e309"}
    )
    assert response.status_code == 302
    assert any(PERCENT in message for message in messages_of(response))
    assert not case.eval_results.filter(source="government").exists()


def test_a_range_whose_low_end_is_not_below_its_high_end_is_refused(db):
    benchmark = Benchmark(
        name="Odd", slug="odd", unit="%", category="general", min_score=10, max_score=10
    )
    with pytest.raises(ValidationError, match="must be above the lowest"):
        benchmark.full_clean()


def test_the_trend_is_fitted_on_the_scale_the_range_implies(percent, elo):
    assert percent.trend_scale == "logit"
    assert elo.trend_scale == "linear"
    assert make_benchmark("tokens", unit="k", min_score=Decimal(0)).trend_scale == "log"
