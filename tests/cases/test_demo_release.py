"""The demo shows a case whose planned release was moved, with the warning."""

from datetime import datetime, time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from portal.accounts.models import User
from portal.cases.models import Submission


@pytest.fixture
def seeded(db, settings, monkeypatch, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", stdout=None)


def test_the_demo_case_whose_release_moved_shows_the_warning(client, seeded):
    case = Submission.objects.get(model_name="Aurora", model_version="2.0")
    assert case.release_before_review_due
    live = AccessGrant.objects.filter(case=case, status="active", ends_with_release=True)
    release = timezone.make_aware(datetime.combine(case.planned_release_date, time.min))
    assert live.exists() and all(g.ends_at == release for g in live)

    client.force_login(User.objects.get(username="submitter"))
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert "Release before review due" in page
    timeline = client.get(reverse("portal:case_timeline", args=[case.pk])).content.decode()
    assert "Planned release date changed to" in timeline
