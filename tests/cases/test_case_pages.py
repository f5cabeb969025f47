"""The developer's case pages: list, draft form, detail, submit, withdraw, scores."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import Artifact, CaseStatus, EvalResult, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.views.pages import RELEASE_UNDERSTOOD, WITHDRAW_UNDERSTOOD
from portal.cases.views.sections import SECTIONS
from tests.cases.fixtures_pages import *  # noqa: F403  (the fixtures in its __all__)
from tests.cases.fixtures_pages import (
    add_artifact,
    audit_count,
    make_draft,
    messages_of,
    stored_files,
)

SECTION_URL_NAMES = [url_name for _key, _label, url_name in SECTIONS]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def release_in(days: int):
    return timezone.localdate() + timedelta(days=days)


def case_form_data(client, **overrides):
    page = client.get(reverse("portal:case_create"))
    data = {
        "nonce": page.context["nonce"],
        "model_name": "Aurora",
        "model_version": "2.0",
        "description": "A frontier model.",
        "planned_release_date": release_in(120).isoformat(),
        "access_mode": "api",
    }
    data.update(overrides)
    return data


# The case list.


@pytest.fixture
def cases_of_two_developers(submitter, other_submitter, coordinator, media):
    """Northwind: a draft, a submitted case on short notice. Meridian: one draft."""
    northwind_draft = make_draft(submitter, model_name="Aurora")
    short = make_draft(submitter, model_name="Borealis", planned_release_date=release_in(30))
    add_artifact(short, submitter, b"card")
    case_services.submit_case(actor=submitter, case_id=short.pk, short_notice_reason="A fix.")
    meridian = make_draft(other_submitter, model_name="Zephyr")
    return northwind_draft, Submission.objects.get(pk=short.pk), meridian


def test_the_list_shows_only_the_organizations_cases(client, submitter, cases_of_two_developers):
    northwind_draft, short, meridian = cases_of_two_developers
    client.force_login(submitter)
    response = client.get(reverse("portal:case_list"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [short, northwind_draft]
    assert b"Cases of Northwind Labs" in response.content
    assert b"Aurora" in response.content and b"Borealis" in response.content
    assert b"Zephyr" not in response.content
    assert b"Short notice</span>" in response.content


def test_the_other_developer_sees_only_its_own(client, other_submitter, cases_of_two_developers):
    client.force_login(other_submitter)
    response = client.get(reverse("portal:case_list"))
    assert [case.model_name for case in response.context["page"]] == ["Zephyr"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "draft"}, ["Aurora"]),
        ({"status": "submitted"}, ["Borealis"]),
        ({"short_notice": "true"}, ["Borealis"]),
        ({"short_notice": "false"}, ["Aurora"]),
        ({"q": "borea"}, ["Borealis"]),
        ({"q": "FMR-"}, ["Borealis"]),
        ({"q": "Zephyr"}, []),  # the other developer's case is never found
        ({"status": "nonsense"}, ["Borealis", "Aurora"]),
    ],
)
def test_the_list_filters(client, submitter, cases_of_two_developers, query, expected):
    client.force_login(submitter)
    response = client.get(reverse("portal:case_list"), query)
    assert [case.model_name for case in response.context["page"]] == expected
    assert response.context["total"] == len(expected)


def test_the_list_makes_the_same_queries_for_3_and_30_cases(
    client, submitter, media, django_assert_max_num_queries
):
    client.force_login(submitter)
    for number in range(3):
        make_draft(submitter, model_name=f"Model {number}")
    client.get(reverse("portal:case_list"))  # the header's counts, cached from then on
    with django_assert_max_num_queries(12) as captured:
        assert client.get(reverse("portal:case_list")).status_code == 200
    few = len(captured)  # now: the next request resets the connection's query log
    for number in range(3, 30):
        make_draft(submitter, model_name=f"Model {number}")
    with django_assert_max_num_queries(12) as many:
        response = client.get(reverse("portal:case_list"))
    assert response.context["total"] == 30
    assert len(many) == few


@pytest.mark.parametrize("persona", ["coordinator", "reviewer", "operator", "outsider"])
def test_the_list_is_a_developer_page(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("portal:case_list")).status_code == 403
    assert client.get(reverse("portal:case_create")).status_code == 403


# Starting and editing a draft.


def test_a_submitter_starts_a_draft(client, submitter, media):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:case_create"), case_form_data(client, contact_person=submitter.pk)
    )
    case = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_detail", args=[case.pk])
    assert (case.status, case.developer.name, case.created_by) == (
        CaseStatus.DRAFT,
        "Northwind Labs",
        submitter,
    )
    assert messages_of(response)[0].startswith(f"{case.reference} saved.")
    assert case.reference.startswith("Draft ")
    assert "Draft Draft" not in messages_of(response)[0]
    assert AuditEvent.objects.filter(action="case.created").count() == 1


def test_a_release_date_in_the_past_is_a_form_error(client, submitter, media):
    client.force_login(submitter)
    before = audit_count()
    response = client.post(
        reverse("portal:case_create"),
        case_form_data(client, planned_release_date=release_in(-1).isoformat()),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["planned_release_date"] == [
        "The planned public release date is in the past."
    ]
    assert b"The planned public release date is in the past." in response.content
    assert not Submission.objects.exists()
    assert audit_count() == before


def test_an_empty_post_shows_the_required_fields(client, submitter, media):
    client.force_login(submitter)
    response = client.post(reverse("portal:case_create"), {})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"model_name", "model_version"}
    assert not Submission.objects.exists()


def test_a_replayed_create_form_makes_one_draft(client, submitter, media):
    client.force_login(submitter)
    data = case_form_data(client)
    first = client.post(reverse("portal:case_create"), data)
    before = audit_count()
    replay = client.post(reverse("portal:case_create"), data)

    assert first.status_code == 302
    assert replay.status_code == 400
    assert replay.context["form"].non_field_errors() == [
        "That form was already sent. The draft it made is in your cases."
    ]
    assert Submission.objects.count() == 1
    assert audit_count() == before


def test_a_create_form_without_a_nonce_is_refused(client, submitter, media):
    client.force_login(submitter)
    data = case_form_data(client)
    del data["nonce"]
    response = client.post(reverse("portal:case_create"), data)
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_a_contact_of_another_organization_is_refused(client, submitter, other_submitter, media):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:case_create"), case_form_data(client, contact_person=other_submitter.pk)
    )
    assert response.status_code == 400
    assert "contact_person" in response.context["form"].errors
    assert not Submission.objects.exists()


def test_a_draft_can_be_edited(client, submitter, draft):
    client.force_login(submitter)
    page = client.get(reverse("portal:case_edit", args=[draft.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["model_name"] == "Aurora"
    response = client.post(
        reverse("portal:case_edit", args=[draft.pk]),
        {"model_name": "Aurora", "model_version": "2.1", "access_mode": "both"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.model_version, draft.access_mode) == ("2.1", "both")
    assert AuditEvent.objects.get(action="case.edited").details["fields"] == [
        "access_mode",
        "contact_person",
        "description",
        "model_version",
        "planned_release_date",
    ]


def test_an_edit_with_a_past_release_date_changes_nothing(client, submitter, draft):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:case_edit", args=[draft.pk]),
        {"model_name": "Aurora", "model_version": "9", "planned_release_date": "2001-01-01"},
    )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.model_version == "2.0"


def test_a_submitted_case_can_no_longer_be_edited(client, submitter, submitted_case):
    client.force_login(submitter)
    detail = reverse("portal:case_detail", args=[submitted_case.pk])
    page = client.get(reverse("portal:case_edit", args=[submitted_case.pk]))
    assert page.status_code == 302
    assert page["Location"] == detail
    assert messages_of(page) == [
        "This case was submitted; its details can no longer change. To report a new "
        "planned release, use “Change the planned release date” on the case page."
    ]

    before = audit_count()
    response = client.post(
        reverse("portal:case_edit", args=[submitted_case.pk]),
        {"model_name": "Renamed", "model_version": "9"},
    )
    assert response["Location"] == detail
    submitted_case.refresh_from_db()
    assert (submitted_case.model_name, submitted_case.model_version) == ("Aurora", "2.0")
    assert audit_count() == before


# Submitting, withdrawing, releasing.


def test_submitting_lists_the_missing_fields(client, submitter, media):
    bare = case_services.create_draft(actor=submitter, model_name="Aurora", model_version="1")
    client.force_login(submitter)
    before = audit_count()
    response = client.post(reverse("portal:case_submit", args=[bare.pk]), {"reason": ""})
    assert messages_of(response) == [
        "Fill in before submitting: description, planned public release date, access mode, "
        "contact person."
    ]
    bare.refresh_from_db()
    assert (bare.status, bare.number) == (CaseStatus.DRAFT, None)
    assert audit_count() == before


def test_submitting_needs_an_artifact(client, submitter, draft):
    client.force_login(submitter)
    response = client.post(reverse("portal:case_submit", args=[draft.pk]))
    assert "Upload at least one artifact" in messages_of(response)[0]
    draft.refresh_from_db()
    assert draft.is_draft


def test_short_notice_needs_a_reason_and_is_flagged(client, submitter, coordinator, media):
    case = make_draft(submitter, planned_release_date=release_in(30))
    add_artifact(case, submitter, b"card")
    client.force_login(submitter)

    refused = client.post(reverse("portal:case_submit", args=[case.pk]), {"reason": "  "})
    assert "give a reason for the short notice" in messages_of(refused)[0]
    case.refresh_from_db()
    assert case.is_draft

    client.post(reverse("portal:case_submit", args=[case.pk]), {"reason": "Security fix."})
    case.refresh_from_db()
    assert (case.status, case.short_notice, case.short_notice_reason) == (
        CaseStatus.SUBMITTED,
        True,
        "Security fix.",
    )


def test_submitting_twice_is_refused(client, submitter, submitted_case):
    client.force_login(submitter)
    response = client.post(reverse("portal:case_submit", args=[submitted_case.pk]))
    assert messages_of(response) == ["This case is already submitted."]


def test_a_case_is_withdrawn_with_a_reason(client, submitter, submitted_case):
    client.force_login(submitter)
    url = reverse("portal:case_withdraw", args=[submitted_case.pk])
    refused = client.post(url, {"reason": "", "understood": "on"})
    assert messages_of(refused) == ["Give a reason for withdrawing the case."]
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED

    client.post(url, {"reason": "Release cancelled.", "understood": "on"})
    submitted_case.refresh_from_db()
    assert (submitted_case.status, submitted_case.withdrawn_reason) == (
        CaseStatus.WITHDRAWN,
        "Release cancelled.",
    )


def test_a_draft_cannot_be_marked_released(client, submitter, draft):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:case_mark_released", args=[draft.pk]),
        {"understood": "on", "released_on": timezone.localdate().isoformat()},
    )
    assert "only a submitted case can be marked as released" in messages_of(response)[0]
    draft.refresh_from_db()
    assert draft.status == CaseStatus.DRAFT


def test_a_recommended_case_is_marked_released(client, submitter, coordinator, submitted_case):
    case_services.start_review(actor=coordinator, case_id=submitted_case.pk)
    case_services.mark_recommendation_issued(actor=coordinator, case_id=submitted_case.pk)
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[submitted_case.pk]))
    assert b"Mark as released" in page.content
    client.post(
        reverse("portal:case_mark_released", args=[submitted_case.pk]),
        {"understood": "on", "released_on": timezone.localdate().isoformat()},
    )
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.RELEASED
    assert submitted_case.released_on == timezone.localdate()
    assert not submitted_case.released_before_recommendation


def test_withdrawing_needs_the_consequence_understood(client, submitter, submitted_case):
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[submitted_case.pk])).content.decode()
    assert 'id="withdraw-understood"' in page
    assert "withdrawing cannot be undone" in page
    before = AuditEvent.objects.count()

    refused = client.post(
        reverse("portal:case_withdraw", args=[submitted_case.pk]), {"reason": "Cancelled."}
    )

    assert messages_of(refused) == [WITHDRAW_UNDERSTOOD]
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED
    assert AuditEvent.objects.count() == before


def test_withdrawing_with_a_reason_too_long_changes_nothing(client, submitter, submitted_case):
    client.force_login(submitter)
    before = AuditEvent.objects.count()

    refused = client.post(
        reverse("portal:case_withdraw", args=[submitted_case.pk]),
        {"reason": "x" * 2001, "understood": "on"},
    )

    assert refused.url == reverse("portal:case_detail", args=[submitted_case.pk])
    assert messages_of(refused) == [
        "Reason: Ensure this value has at most 2000 characters (it has 2001)."
    ]
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.SUBMITTED
    assert AuditEvent.objects.count() == before


def test_marking_released_needs_the_consequence_understood(
    client, submitter, coordinator, submitted_case
):
    case_services.start_review(actor=coordinator, case_id=submitted_case.pk)
    case_services.mark_recommendation_issued(actor=coordinator, case_id=submitted_case.pk)
    client.force_login(submitter)
    page = client.get(reverse("portal:case_detail", args=[submitted_case.pk])).content.decode()
    assert 'id="released-understood"' in page
    assert "marking the case as released cannot be undone" in page
    before = AuditEvent.objects.count()

    refused = client.post(
        reverse("portal:case_mark_released", args=[submitted_case.pk]),
        {"released_on": timezone.localdate().isoformat()},
    )

    assert messages_of(refused) == [RELEASE_UNDERSTOOD]
    submitted_case.refresh_from_db()
    assert submitted_case.status == CaseStatus.RECOMMENDATION_ISSUED
    assert AuditEvent.objects.count() == before


# Scores and artifacts of a draft.


def test_scores_are_set_and_removed_on_a_draft(client, submitter, draft, benchmark):
    client.force_login(submitter)
    url = reverse("portal:eval_result_set", args=[draft.pk])
    bad = client.post(url, {"benchmark": benchmark.pk, "score": "lots"})
    assert messages_of(bad) == ["Score: Enter a number."]
    assert not EvalResult.objects.exists()

    client.post(url, {"benchmark": benchmark.pk, "score": "42.5"})
    client.post(url, {"benchmark": benchmark.pk, "score": "43"})
    result = EvalResult.objects.get()
    assert str(result.score) == "43.0000"

    client.post(reverse("portal:eval_result_remove", args=[draft.pk, result.pk]))
    assert not EvalResult.objects.exists()


def test_scores_are_fixed_once_submitted(client, submitter, submitted_case, benchmark):
    client.force_login(submitter)
    response = client.post(
        reverse("portal:eval_result_set", args=[submitted_case.pk]),
        {"benchmark": benchmark.pk, "score": "42.5"},
    )
    assert messages_of(response) == ["Scores can change only while the case is a draft."]
    assert not EvalResult.objects.exists()


def test_an_artifact_is_removed_from_a_draft(
    client, submitter, draft, media, django_capture_on_commit_callbacks
):
    artifact = add_artifact(draft, submitter, b"card")
    client.force_login(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:artifact_delete", args=[draft.pk, artifact.pk]))
    assert messages_of(response) == ["Artifact removed from the draft."]
    assert not Artifact.objects.exists()
    assert stored_files(media) == []


def test_artifacts_of_a_submitted_case_are_kept(client, submitter, submitted_case, media):
    artifact = submitted_case.artifacts.get()
    client.force_login(submitter)
    response = client.post(reverse("portal:artifact_delete", args=[submitted_case.pk, artifact.pk]))
    assert "kept as they are" in messages_of(response)[0]
    assert Artifact.objects.filter(pk=artifact.pk).exists()
    assert (media / artifact.file.name).exists()


def test_the_developer_downloads_an_artifact(client, submitter, draft, media):
    artifact = add_artifact(draft, submitter, b"card bytes", name="model card.md")
    client.force_login(submitter)
    response = client.get(reverse("portal:artifact_download", args=[draft.pk, artifact.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"card bytes"
    assert response["Content-Disposition"] == 'attachment; filename="model card.md"'
    assert response["Content-Type"] == "application/octet-stream"


# The case page.


def test_the_case_page_shows_status_clock_artifacts_scores_and_timeline(
    client, submitter, coordinator, benchmark, media
):
    case = make_draft(submitter)
    artifact = add_artifact(case, submitter, b"card", name="card.md")
    client.force_login(submitter)
    client.post(
        reverse("portal:eval_result_set", args=[case.pk]),
        {"benchmark": benchmark.pk, "score": "42.5"},
    )
    client.post(reverse("portal:case_submit", args=[case.pk]))
    case.refresh_from_db()

    def section(url_name):
        response = client.get(reverse(url_name, args=[case.pk]))
        assert response.status_code == 200, url_name
        html = response.content.decode()
        # The compact header on every section: number, model, status, days left.
        assert f"{case.number}: Aurora 2.0" in html
        assert 'portal-status--submitted">Submitted</span>' in html
        assert f"Due {due:%B} {due.day}, {due.year} — 90 days left" in html
        assert "<dt>Reviewing agencies</dt><dd>CAISI</dd>" in html
        return response, html

    due = timezone.localdate() + timedelta(days=90)
    _, overview = section("portal:case_detail")
    assert f"Review due {due:%B} {due.day}, {due.year}</strong> — 90 days left" in overview
    assert "Edit details" not in overview  # no longer a draft
    assert "Withdraw this case" in overview

    _, artifacts = section("portal:case_artifacts")
    assert artifact.sha256 in artifacts and "card.md" in artifacts

    _, scores = section("portal:case_scores")
    assert "CyberRange CTF" in scores and "42.5 % solved" in scores

    response, timeline_html = section("portal:case_timeline")
    timeline = [event.action for event in response.context["timeline"]]
    assert timeline[:3] == ["case.created", "artifact.uploaded", "eval.recorded"]
    for label in ("Draft started", "Artifact uploaded: card.md", "Submitted for review"):
        assert label in timeline_html
    assert "Routed to CAISI" in timeline_html


def test_a_draft_page_explains_the_clock_and_offers_the_forms(client, submitter, draft):
    client.force_login(submitter)
    html = client.get(reverse("portal:case_detail", args=[draft.pk])).content.decode()
    assert "The clock starts when the case is submitted: the review is due 90 days later." in html
    assert 'portal-status--draft">Draft</span>' in html
    assert "Starts when the case is submitted" in html  # the header's clock
    assert "Edit details" in html and "Submit for review" in html
    # Each form is on the section it belongs to.
    assert 'enctype="multipart/form-data"' not in html and "Save score" not in html
    artifacts = client.get(reverse("portal:case_artifacts", args=[draft.pk])).content.decode()
    assert 'name="nonce"' in artifacts and 'enctype="multipart/form-data"' in artifacts
    assert "No artifacts yet." in artifacts and "Save score" not in artifacts
    scores = client.get(reverse("portal:case_scores", args=[draft.pk])).content.decode()
    assert "No scores reported yet." in scores and "Save score" in scores
    assert 'enctype="multipart/form-data"' not in scores


def test_the_short_notice_reason_is_asked_for_inside_the_notice_period(client, submitter, media):
    soon = make_draft(submitter, planned_release_date=release_in(30))
    later = make_draft(submitter, planned_release_date=release_in(120))
    client.force_login(submitter)
    soon_page = client.get(reverse("portal:case_detail", args=[soon.pk])).content.decode()
    later_page = client.get(reverse("portal:case_detail", args=[later.pk])).content.decode()
    assert 'id="short-notice-reason"' in soon_page
    assert "Reason for short notice (required)" in soon_page
    assert 'id="short-notice-reason"' not in later_page


def test_pages_carry_no_inline_scripts(client, submitter, submitted_case, draft):
    client.force_login(submitter)
    urls = [
        reverse("portal:case_list"),
        reverse("portal:case_create"),
        reverse("portal:case_artifacts", args=[draft.pk]),
        reverse("portal:case_edit", args=[draft.pk]),
        *(
            reverse(name, args=[case.pk])
            for name in SECTION_URL_NAMES
            for case in (draft, submitted_case)
        ),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script" in html  # the check below would notice an inline one
        assert INLINE_SCRIPT.findall(html) == [], url
        assert " onclick=" not in html and " onsubmit=" not in html, url
    assert "portal/upload.js" in client.get(urls[2]).content.decode()
