"""A submitter's journey: draft → artifacts and scores → submit → routed to CAISI."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import AccessToken
from portal.cases.models import Benchmark, CaseStatus, Submission
from portal.notifications.models import Notification


@pytest.fixture
def benchmark(db):
    return Benchmark.objects.create(
        name="CyberRange CTF", slug="cyberrange-ctf", unit="% solved", category="cyber_offense"
    )


def test_submitter_takes_a_case_from_draft_to_submitted(client, submitter, coordinator, benchmark):
    client.force_login(submitter)
    page = client.get(reverse("portal:case_create"))
    nonce = page.context["nonce"]
    release = timezone.localdate() + timedelta(days=120)
    response = client.post(
        reverse("portal:case_create"),
        {
            "nonce": nonce,
            "model_name": "Aurora",
            "model_version": "2.0",
            "description": "A frontier model.",
            "planned_release_date": release.isoformat(),
            "access_mode": "api",
            "contact_person": submitter.pk,
        },
    )
    assert response.status_code == 302, response.content
    case = Submission.objects.get()
    assert case.status == CaseStatus.DRAFT

    body = b"weights" * 100_000
    _, raw = AccessToken.create_for(submitter, name="ci")
    put = client.generic(
        "PUT",
        reverse("api_artifact_put", args=[case.pk, "aurora.safetensors"]) + "?kind=weights",
        data=body,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_X_CONTENT_SHA256=hashlib.sha256(body).hexdigest(),
    )
    assert put.status_code == 201, put.content
    assert put.json()["sha256"] == hashlib.sha256(body).hexdigest()

    response = client.post(
        reverse("portal:eval_result_set", args=[case.pk]),
        {"benchmark": benchmark.pk, "score": "42.5"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_scores", args=[case.pk])

    response = client.post(reverse("portal:case_submit", args=[case.pk]), {"reason": ""})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED, [m.message for m in response.wsgi_request._messages]
    assert case.number.startswith(f"FMR-{timezone.localdate().year}-")
    assert case.review_due == timezone.localdate() + timedelta(days=90)
    assert Notification.objects.filter(recipient=coordinator, case=case).exists()

    detail = client.get(reverse("portal:case_artifacts", args=[case.pk]))
    assert detail.status_code == 200
    assert hashlib.sha256(body).hexdigest().encode() in detail.content

    client.force_login(coordinator)
    assert client.get(reverse("portal:case_detail", args=[case.pk])).status_code == 200
