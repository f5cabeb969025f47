"""The Frontier table's change column follows the score, and names better or worse by direction.

On a lower-is-better benchmark a drop from 50 to 40 is an improvement of 10:
the table shows the score's own movement ("−10") and calls it better, never
"(+10)" that reads as a rise.
"""

import pytest
from django.urls import reverse

from tests.capability.conftest import make_benchmark


def chart_url(benchmark):
    return reverse("portal:frontier_benchmark", args=[benchmark.slug])


@pytest.fixture
def errors(db):
    """Lower is better: errors per thousand prompts."""
    return make_benchmark("refusal-errors", higher_is_better=False, unit="errors")


def change_cell(html: str, score: str) -> str:
    start = html.index(f"<td>{score} <span")
    return html[start : html.index("</span>", start)]


def test_a_drop_on_a_lower_is_better_benchmark_is_shown_as_a_drop_and_called_better(
    client, coordinator, errors, submit_scores
):
    submit_scores({errors: 50}, model_name="Aurora")
    submit_scores({errors: 40}, model_name="Aurora")
    client.force_login(coordinator)
    html = client.get(chart_url(errors)).content.decode()
    cell = change_cell(html, "40")
    assert "(\u221210, better)" in cell
    assert "+10" not in cell


def test_a_rise_on_a_lower_is_better_benchmark_is_a_regression(
    client, coordinator, errors, submit_scores
):
    submit_scores({errors: 40}, model_name="Aurora")
    submit_scores({errors: 55}, model_name="Aurora")
    client.force_login(coordinator)
    html = client.get(chart_url(errors)).content.decode()
    cell = change_cell(html, "55")
    assert "(+15, worse)" in cell
    assert "better" not in cell


def test_higher_is_better_keeps_its_sign(client, coordinator, ctf, submit_scores):
    submit_scores({ctf: 40}, model_name="Aurora")
    submit_scores({ctf: 43}, model_name="Aurora")
    submit_scores({ctf: 41}, model_name="Aurora")
    client.force_login(coordinator)
    html = client.get(chart_url(ctf)).content.decode()
    assert "(+3, better)" in change_cell(html, "43")
    # The frontier before the third is 43: 41 is 2 below it.
    assert "(\u22122, worse)" in change_cell(html, "41")
