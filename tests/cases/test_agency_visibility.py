"""Who at an agency sees a routed case: its coordinators, not (yet) its reviewers."""

import pytest
from django.urls import reverse

from portal.accounts.models import Membership
from portal.cases.models import Artifact, ClockEvent
from portal.cases.services import lifecycle as case_services
from tests.cases.conftest import upload_artifact


@pytest.fixture
def submitted(ready_draft, submitter, caisi):
    return case_services.submit_case(actor=submitter, case_id=ready_draft.pk)


def test_a_routed_case_is_visible_to_the_agencys_coordinators_only(
    client, submitted, coordinator, reviewer
):
    client.force_login(coordinator)
    assert client.get(reverse("portal:case_detail", args=[submitted.pk])).status_code == 200

    client.force_login(reviewer)
    assert client.get(reverse("portal:case_detail", args=[submitted.pk])).status_code == 404


def test_a_reviewer_made_coordinator_sees_the_case_and_loses_it_when_demoted(
    client, submitted, reviewer, caisi
):
    membership = reviewer.membership
    membership.role = Membership.Role.COORDINATOR
    membership.save()
    assert caisi.coordinators_group in reviewer.groups.all()
    client.force_login(reviewer)
    assert client.get(reverse("portal:case_detail", args=[submitted.pk])).status_code == 200

    membership.role = Membership.Role.REVIEWER
    membership.save()
    assert caisi.coordinators_group not in reviewer.groups.all()
    assert caisi.group in reviewer.groups.all()
    assert client.get(reverse("portal:case_detail", args=[submitted.pk])).status_code == 404


def test_the_same_file_uploaded_twice_is_stored_once(submitter, ready_draft):
    from portal.cases.services.artifacts import ArtifactAlreadyStored

    count = Artifact.objects.count()
    with pytest.raises(ArtifactAlreadyStored, match="already on the case"):
        upload_artifact(submitter, ready_draft)
    assert Artifact.objects.count() == count
    # Other bytes under the same name are a new version, not a duplicate.
    upload_artifact(submitter, ready_draft, body=b"# Model card\nAurora 2.0, revised")
    assert Artifact.objects.count() == count + 1


def test_withdrawing_while_information_is_requested_settles_the_clock(
    submitted, submitter, coordinator
):
    case_services.start_review(actor=coordinator, case_id=submitted.pk)
    case_services.pause_for_information(actor=coordinator, case_id=submitted.pk)
    case_services.withdraw_case(actor=submitter, case_id=submitted.pk, reason="Cancelled.")

    submitted.refresh_from_db()
    assert submitted.clock_paused is False
    assert not submitted.clock().paused
    last = submitted.clock_events.order_by("-at", "-pk").first()
    assert (last.kind, last.reason) == (ClockEvent.Kind.RESUMED, "Case withdrawn")


def test_the_notice_filter_has_any_short_and_full(client, submitter, make_ready_draft, caisi):
    from datetime import timedelta

    from django.utils import timezone

    short = make_ready_draft(
        model_name="Short", planned_release_date=timezone.localdate() + timedelta(days=30)
    )
    case_services.submit_case(actor=submitter, case_id=short.pk, short_notice_reason="Urgent fix.")
    full = make_ready_draft(model_name="Full")
    case_services.submit_case(actor=submitter, case_id=full.pk)
    client.force_login(submitter)

    def listed(query):
        response = client.get(reverse("portal:case_list") + query)
        return {case.model_name for case in response.context["page"]}

    assert listed("") == {"Short", "Full"}
    assert listed("?short_notice=true") == {"Short"}
    assert listed("?short_notice=false") == {"Full"}
    page = client.get(reverse("portal:case_list")).content.decode()
    assert "Any notice" in page and "Unknown" not in page
