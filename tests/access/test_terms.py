"""The terms of pre-public access: read, accept (audited), and accept again when they change."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import Terms, TermsAcceptance
from portal.audit.models import AuditEvent
from tests.access.conftest import file_named

WEIGHTS = "aurora-2.0.safetensors"


def weights_url(access_grant):
    artifact = file_named(access_grant, WEIGHTS).artifact
    return reverse("access:download", args=[access_grant.pk, artifact.pk, WEIGHTS])


def accept(client, terms, **extra):
    return client.post(
        reverse("access:terms_accept"), {"terms_id": terms.pk, "accept": "on"}, **extra
    )


@pytest.fixture
def signed_in(client, operator):
    client.force_login(operator)
    return client


def test_the_page_shows_the_current_version_and_a_form(signed_in, terms):
    Terms.objects.create(version=0, title="Old terms", body="Gone.")
    html = signed_in.get(reverse("access:terms")).content.decode()

    assert "Pre-public access terms" in html and "(version 1," in html
    assert "Keep the model inside your security team." in html
    assert "Old terms" not in html
    assert f'name="terms_id" value="{terms.pk}"' in html
    assert "Accept version 1" in html


def test_accepting_is_recorded_and_audited(signed_in, operator, terms):
    response = accept(signed_in, terms, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 302
    assert response.url == reverse("access:granted_models")
    acceptance = TermsAcceptance.objects.get(user=operator)
    assert (acceptance.terms, acceptance.ip) == (terms, "203.0.113.9")
    event = AuditEvent.objects.get(action="terms.accepted")
    assert (event.actor, event.details, event.ip) == (operator, {"version": 1}, "203.0.113.9")
    page = signed_in.get(reverse("access:terms")).content.decode()
    assert "You accepted version 1" in page
    assert reverse("access:terms_accept") not in page


def test_accepting_twice_records_it_once(signed_in, operator, terms):
    accept(signed_in, terms)
    accept(signed_in, terms)
    assert TermsAcceptance.objects.filter(user=operator).count() == 1
    assert AuditEvent.objects.filter(action="terms.accepted").count() == 1


def test_the_box_must_be_ticked(signed_in, operator, terms):
    response = signed_in.post(reverse("access:terms_accept"), {"terms_id": terms.pk})
    assert response.status_code == 400
    assert "Tick the box to accept the terms." in response.content.decode()
    assert not TermsAcceptance.objects.exists()


def test_a_version_replaced_while_the_page_was_open_is_not_accepted(signed_in, terms):
    newer = Terms.objects.create(version=2, title="Terms, second edition", body="New rules.")
    response = accept(signed_in, terms)

    assert response.status_code == 409
    html = response.content.decode()
    assert "These are not the current terms" in html
    assert f'name="terms_id" value="{newer.pk}"' in html
    assert not TermsAcceptance.objects.exists()


def test_terms_published_later_are_not_current_yet(signed_in, terms):
    Terms.objects.create(
        version=2, title="Next edition", body="...", published_at=timezone.now() + timedelta(days=1)
    )
    assert "Next edition" not in signed_in.get(reverse("access:terms")).content.decode()
    assert accept(signed_in, terms).status_code == 302


def test_a_new_version_needs_a_new_acceptance_before_downloading(signed_in, grant, terms):
    assert signed_in.get(weights_url(grant)).status_code == 403
    accept(signed_in, terms)
    assert signed_in.head(weights_url(grant)).status_code == 200

    newer = Terms.objects.create(version=2, title="Terms, second edition", body="New rules.")
    refused = signed_in.get(weights_url(grant))
    assert refused.status_code == 403
    assert "Terms, second edition" in refused.content.decode()
    assert reverse("access:terms_accept") in refused.content.decode()

    accept(signed_in, newer)
    assert signed_in.head(weights_url(grant)).status_code == 200


def test_without_published_terms_nobody_can_download(signed_in, grant):
    page = signed_in.get(reverse("access:terms"))
    assert "No terms are published yet" in page.content.decode()
    assert signed_in.get(weights_url(grant)).status_code == 403


@pytest.mark.parametrize("persona", ["submitter", "coordinator", "reviewer", "outsider"])
def test_the_terms_pages_are_for_security_teams(client, personas, terms, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("access:terms")).status_code == 403
    assert accept(client, terms).status_code == 403
    assert not TermsAcceptance.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, terms):
    response = client.get(reverse("access:terms"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert accept(client, terms).status_code == 302
    assert not TermsAcceptance.objects.exists()


def test_accepting_takes_post_only(signed_in, terms):
    assert signed_in.get(reverse("access:terms_accept")).status_code == 405
