"""What a monitoring agency may not read: a case not routed to it stays 404 everywhere
but the Frontier, until the lead agency accepts its request.

The security world's case in review is routed to CAISI only; ONCD monitors
capability jumps and has asked CAISI for the case (tests/security/world.py).
"""

import pytest
from django.test import Client
from django.urls import reverse

from portal.capability import services
from tests.security.world import world  # noqa: F401  (the module's world)


def case_pages(w):
    """A finding, an artifact, a discussion thread, the workspace and the case page."""
    return {
        "case page": reverse("portal:case_detail", args=[w.case.pk]),
        "workspace": reverse("reviews:workspace", args=[w.case.pk]),
        "findings": reverse("reviews:case_findings", args=[w.case.pk]),
        "finding evidence": reverse(
            "reviews:evidence_download", args=[w.finding.pk, w.evidence.pk]
        ),
        "artifact": reverse("portal:artifact_download", args=[w.case.pk, w.artifact.pk]),
        "artifacts": reverse("reviews:case_artifacts", args=[w.case.pk]),
        "requests": reverse("reviews:case_requests", args=[w.case.pk]),
        "request attachment": reverse(
            "reviews:attachment_download", args=[w.answered_request.pk, w.attachment.pk]
        ),
        "discussion thread": reverse("discussions:thread", args=[w.developer_thread.pk]),
        "discussions": reverse("reviews:case_discussion", args=[w.case.pk]),
        "recommendation": reverse("reviews:case_recommendation", args=[w.case.pk]),
        "report": reverse("access:report_detail", args=[w.report.pk]),
    }


@pytest.mark.parametrize("persona", ["monitor", "monitor_reviewer"])
def test_a_monitoring_person_gets_404_for_the_review_of_a_case_not_routed_to_them(
    world,  # noqa: F811
    db,
    persona,
):
    client = Client()
    client.force_login(world.people[persona])

    answers = {name: client.get(url).status_code for name, url in case_pages(world).items()}

    assert set(answers.values()) == {404}, answers
    # The Frontier itself is open to them (tests/capability/test_monitoring.py: every case).
    assert client.get(reverse("portal:frontier")).status_code == 200


def test_once_the_lead_accepts_the_monitor_s_coordinator_reads_the_case(world, db):  # noqa: F811
    services.answer_routing_request(
        actor=world.people["coordinator"], request_id=world.routing_request.pk, accept=True
    )
    client = Client()
    client.force_login(world.people["monitor"])

    assert client.get(reverse("reviews:workspace", args=[world.case.pk])).status_code == 200
    assert client.get(reverse("portal:case_detail", args=[world.case.pk])).status_code == 200
    # Its reviewer still waits for an assignment, as at any agency.
    client.force_login(world.people["monitor_reviewer"])
    assert client.get(reverse("reviews:workspace", args=[world.case.pk])).status_code == 404
