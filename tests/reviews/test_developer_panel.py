"""The review on the developer's case page: requests with answer forms, the findings
shared with the developer, the issued recommendation; nothing else."""

import pytest
from django.urls import reverse

from reviews.models import Marking
from reviews.services import findings as finding_services
from reviews.services import requests as request_services
from tests.reviews.fixtures_requests import *  # noqa: F403  (the fixtures in its __all__)
from tests.reviews.fixtures_requests import (
    answer_url,
    ask,
    case_url,
    has_review_panel,
    review_panel,
    submit_case,
)


def record(lead, case, title, marking):
    return finding_services.record_finding(
        actor=lead,
        case_id=case.pk,
        title=title,
        category="cyber_offense",
        severity=3,
        description=f"Details of {title}.",
        marking=marking,
    )


def test_the_panel_shows_only_findings_marked_for_the_developer(
    client, lead, submitter, case_in_review
):
    record(lead, case_in_review, "Agency-only exploit chain", Marking.AGENCY_ONLY)
    record(lead, case_in_review, "Interagency sandbox escape", Marking.INTERAGENCY)
    shared = record(lead, case_in_review, "Prompt-injection weakness", Marking.DEVELOPER)
    wider = record(lead, case_in_review, "Phishing uplift", Marking.OPERATORS)
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    assert {f.pk for f in review_panel(response)["findings"]} == {shared.pk, wider.pk}
    page = response.content.decode()
    assert "Prompt-injection weakness" in page
    assert "Phishing uplift" in page
    assert "Agency-only exploit chain" not in page
    assert "Interagency sandbox escape" not in page


def test_a_withdrawn_finding_leaves_the_panel(client, lead, submitter, case_in_review):
    finding = record(lead, case_in_review, "False alarm", Marking.DEVELOPER)
    finding_services.update_finding(
        actor=lead, finding_id=finding.pk, status="withdrawn", marking=Marking.DEVELOPER
    )
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    assert review_panel(response)["findings"] == []
    assert "False alarm" not in response.content.decode()


def test_each_open_request_has_its_answer_form(client, lead, submitter, case_in_review):
    answered = ask(lead, case_in_review, question="Old question?")
    request_services.answer_request(actor=submitter, request_id=answered.pk, answer="Old answer.")
    open_one = ask(lead, case_in_review, question="New question?")
    client.force_login(submitter)

    response = client.get(case_url(case_in_review))

    page = response.content.decode()
    assert answer_url(open_one) in page
    assert answer_url(answered) not in page
    assert 'enctype="multipart/form-data"' in page
    assert "Old answer." in page
    panel = review_panel(response)
    assert panel["open_request_count"] == 1
    assert [r.pk for r in panel["information_requests"]] == [open_one.pk, answered.pk]


def test_another_developer_sees_nothing_of_the_case(client, lead, other_submitter, case_in_review):
    ask(lead, case_in_review)
    client.force_login(other_submitter)

    assert client.get(case_url(case_in_review)).status_code == 404


@pytest.mark.parametrize("persona", ["coordinator", "lead"])
def test_agency_staff_get_no_developer_panel(client, persona, request, case_in_review):
    """The developer's Review section is not theirs: the workspace has the review."""
    client.force_login(request.getfixturevalue(persona))

    assert client.get(case_url(case_in_review)).status_code == 404
    overview = client.get(reverse("portal:case_detail", args=[case_in_review.pk]))
    assert overview.status_code == 200
    assert not has_review_panel(overview)
    assert case_url(case_in_review) not in overview.content.decode()


def test_a_draft_has_no_review_panel(client, submitter, media):
    from portal.cases.services import lifecycle as case_services
    from tests.cases.conftest import draft_fields

    draft = case_services.create_draft(actor=submitter, **draft_fields(submitter))
    client.force_login(submitter)

    assert client.get(case_url(draft)).status_code == 404
    assert not has_review_panel(client.get(reverse("portal:case_detail", args=[draft.pk])))


def test_a_submitted_case_shows_an_empty_review(client, submitter, caisi, media):
    case = submit_case(submitter)
    client.force_login(submitter)

    response = client.get(case_url(case))

    panel = review_panel(response)
    assert (panel["information_requests"], panel["findings"], panel["recommendation"]) == (
        [],
        [],
        None,
    )
    assert "The reviewers have not asked for information." in response.content.decode()


def test_the_panel_reads_in_a_fixed_number_of_queries(
    client, lead, submitter, case_in_review, django_assert_max_num_queries
):
    for number in range(3):
        ask(lead, case_in_review, question=f"Question {number}?")
        record(lead, case_in_review, f"Finding {number}", Marking.DEVELOPER)
    client.force_login(submitter)
    client.get(case_url(case_in_review))  # warm the session and content types

    with django_assert_max_num_queries(40) as captured:
        client.get(case_url(case_in_review))
    few = len(captured)
    for number in range(3, 8):
        ask(lead, case_in_review, question=f"Question {number}?")
        record(lead, case_in_review, f"Finding {number}", Marking.DEVELOPER)
    client.get(case_url(case_in_review))  # the header's counts, told of the new ones
    with django_assert_max_num_queries(few):
        client.get(case_url(case_in_review))
