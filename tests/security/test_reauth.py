"""Sensitive actions need a sign-in or confirmation in the last 15 minutes.

Each action, posted with a stale authentication, is sent to the confirmation
page with ``next`` pointing back at the page the form was on, and changes
nothing; after confirming, the same post works. What was posted is kept on
the server: confirming does it, once, in the same session, within
KEPT_ACTION_SECONDS (the kept-action tests at the end).
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from access.models import AccessGrant
from portal.accounts import kept_actions
from portal.accounts.forms import CONFIRM_REFUSED
from portal.accounts.models import AccessToken
from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus
from reviews.models import Recommendation
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access
from tests.conftest import PASSWORD
from tests.reviews.fixtures_requests import case_in_review, lead, media  # noqa: F401
from tests.security.auth_helpers import ago, code_for, enrol, make_stale


def confirm(client, next_url, password=PASSWORD, follow=False, **extra):
    return client.post(
        reverse("reauthenticate"),
        {"password": password, "next": next_url, **extra},
        follow=follow,
    )


def assert_sent_to_confirm(response, back_to):
    assert response.status_code == 302
    parts = urlsplit(response.url)
    assert parts.path == reverse("reauthenticate")
    assert parse_qs(parts.query)["next"] == [back_to]


def kept_key(response) -> str:
    """The key of the action kept for after the confirmation."""
    return parse_qs(urlsplit(response.url).query)["action"][0]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- each sensitive action ----------------------------------------------------------------


def test_creating_a_token(client, operator):
    client.force_login(operator)
    page = reverse("portal:token_list")
    make_stale(client)

    stale = client.post(reverse("portal:token_create"), {"name": "nightly"}, HTTP_REFERER=page)

    assert_sent_to_confirm(stale, page)
    assert not AccessToken.objects.exists()
    assert confirm(client, page).url == page
    fresh = client.post(reverse("portal:token_create"), {"name": "nightly"}, HTTP_REFERER=page)
    assert fresh.url == page
    assert AccessToken.objects.filter(user=operator).count() == 1


def test_granting_access(client, submitter, case, bank):
    client.force_login(submitter)
    make_stale(client)
    form = {"grant-operator": bank.pk, "grant-scope": "all"}
    url = reverse("access:grant_create", args=[case.pk])

    stale = client.post(url, form, HTTP_REFERER=case_url(case))

    assert_sent_to_confirm(stale, case_url(case))
    assert not AccessGrant.objects.exists()
    confirm(client, case_url(case))
    client.post(url, form)
    assert AccessGrant.objects.filter(case=case, operator=bank).count() == 1


def test_approving_a_nomination(client, submitter, coordinator, case, bank):
    from access import services

    nomination = services.nominate_access(actor=coordinator, case_id=case.pk, operator=bank)
    client.force_login(submitter)
    make_stale(client)
    url = reverse("access:grant_approve", args=[nomination.pk])

    stale = client.post(url, HTTP_REFERER=case_url(case))

    assert_sent_to_confirm(stale, case_url(case))
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.NOMINATED
    confirm(client, case_url(case))
    client.post(url)
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.ACTIVE


def test_revoking_access(client, submitter, case, bank):
    live = give_access(submitter, case, bank)
    client.force_login(submitter)
    make_stale(client)
    url = reverse("access:grant_revoke", args=[live.pk])

    stale = client.post(url, {"reason": "Leaked.", "understood": "on"}, HTTP_REFERER=case_url(case))

    assert_sent_to_confirm(stale, case_url(case))
    live.refresh_from_db()
    assert live.revoked_at is None
    confirm(client, case_url(case))
    client.post(url, {"reason": "Leaked.", "understood": "on"})
    live.refresh_from_db()
    assert live.revoked_at is not None


def test_issuing_a_recommendation(client, lead, coordinator, case_in_review):  # noqa: F811
    from reviews.services import recommendations as recommendation_services

    recommendation_services.draft_recommendation(
        actor=lead, case_id=case_in_review.pk, outcome="no_concerns", summary="Fine.", conditions=""
    )
    workspace = reverse("reviews:case_recommendation", args=[case_in_review.pk])
    url = reverse("reviews:recommendation_issue", args=[case_in_review.pk])
    client.force_login(coordinator)
    make_stale(client)

    stale = client.post(url, {"understood": "on"}, HTTP_REFERER=workspace)

    assert_sent_to_confirm(stale, workspace)
    assert not Recommendation.objects.get().is_issued
    confirm(client, workspace)
    client.post(url, {"understood": "on"})
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.RECOMMENDATION_ISSUED


# --- the confirmation page -----------------------------------------------------------------


def test_a_stale_post_without_a_referer_returns_home_after_confirming(client, operator):
    client.force_login(operator)
    make_stale(client)
    stale = client.post(reverse("portal:token_create"), {"name": "x"})
    assert_sent_to_confirm(stale, reverse("home"))


def test_confirming_needs_the_right_password(client, operator):
    client.force_login(operator)
    make_stale(client)

    response = confirm(client, reverse("portal:token_list"), password="not it")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [CONFIRM_REFUSED]
    assert client.post(reverse("portal:token_create"), {"name": "x"}).status_code == 302
    assert not AccessToken.objects.exists()


def test_confirming_asks_for_a_code_from_a_person_with_a_device(client, operator):
    device, _ = enrol(operator)
    client.force_login(operator)
    make_stale(client)
    page = reverse("portal:token_list")

    assert "code" in client.get(reverse("reauthenticate")).context["form"].fields
    assert confirm(client, page).status_code == 200  # no code: refused
    assert confirm(client, page, code="000000").status_code == 200
    device.throttle_reset()  # django-otp slows down retries after a wrong code
    response = confirm(client, page, code=code_for(device))

    assert response.url == page
    assert AuditEvent.objects.filter(action="auth.reauthenticated").count() == 1


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_confirming_never_sends_to_another_site(client, operator, next_url):
    client.force_login(operator)
    assert confirm(client, next_url).url == reverse("home")


def test_a_fresh_sign_in_needs_no_confirmation(client, operator):
    client.force_login(operator)
    response = client.post(reverse("portal:token_create"), {"name": "fresh"})
    assert response.url == reverse("portal:token_list")
    assert AccessToken.objects.filter(user=operator).count() == 1


# --- what was sent is kept, and done after the confirmation ---------------------------------


def stale_token_post(client, operator, name="nightly"):
    client.force_login(operator)
    make_stale(client)
    page = reverse("portal:token_list")
    stale = client.post(reverse("portal:token_create"), {"name": name}, HTTP_REFERER=page)
    assert_sent_to_confirm(stale, page)
    return stale, page


def test_confirming_does_what_was_sent(client, submitter, case, bank):
    live = give_access(submitter, case, bank)
    client.force_login(submitter)
    make_stale(client)
    url = reverse("access:grant_revoke", args=[live.pk])
    stale = client.post(url, {"reason": "Leaked.", "understood": "on"}, HTTP_REFERER=case_url(case))
    live.refresh_from_db()
    assert live.revoked_at is None

    page = client.get(stale.url)
    assert "What you sent is then done" in page.content.decode()
    done = confirm(client, case_url(case), action=kept_key(stale))

    assert done.status_code == 302
    assert done.url == case_url(case)
    live.refresh_from_db()
    assert (live.revoked_at is not None, live.revocation_reason) == (True, "Leaked.")


def test_a_kept_action_is_not_in_the_address(client, operator):
    stale, _ = stale_token_post(client, operator, name="do-not-leak")
    assert "do-not-leak" not in stale.url
    assert "csrfmiddlewaretoken" not in str(client.session[kept_actions.SESSION_KEY])


def test_a_kept_action_is_done_once(client, operator):
    stale, page = stale_token_post(client, operator)
    key = kept_key(stale)

    assert confirm(client, page, action=key).url == page
    assert AccessToken.objects.filter(user=operator, name="nightly").count() == 1
    make_stale(client)
    again = confirm(client, page, action=key, follow=True)

    assert AccessToken.objects.filter(user=operator).count() == 1
    assert kept_actions.GONE in messages_of(again)


def test_a_kept_action_too_old_changes_nothing(client, operator):
    stale, page = stale_token_post(client, operator)
    key = kept_key(stale)
    session = client.session
    session[kept_actions.SESSION_KEY][key]["at"] = ago(minutes=6)
    session.save()

    response = confirm(client, page, action=key, follow=True)

    assert response.redirect_chain[0][0] == page
    assert not AccessToken.objects.exists()
    assert kept_actions.stale_message(filled_in=True) in messages_of(response)
    assert "more than 5 minutes ago" in kept_actions.stale_message(filled_in=True)
    assert 'value="nightly"' in response.content.decode()  # the form, filled in again


def test_a_kept_action_works_only_in_its_own_session(client, operator):
    from django.test import Client

    operator.set_password(PASSWORD)  # the stored hash as a real one: no upgrade when confirming
    operator.save()
    stale, page = stale_token_post(client, operator)
    other = Client()
    other.force_login(operator)
    make_stale(other)

    response = confirm(other, page, action=kept_key(stale), follow=True)

    assert not AccessToken.objects.exists()
    assert kept_actions.GONE in messages_of(response)
    assert confirm(client, page, action=kept_key(stale)).url == page  # still there for its own
    assert AccessToken.objects.filter(user=operator).count() == 1


def test_a_wrong_password_keeps_the_action_for_the_next_try(client, operator):
    stale, page = stale_token_post(client, operator)
    refused = confirm(client, page, password="not it", action=kept_key(stale))

    assert refused.status_code == 200
    assert f'name="action" value="{kept_key(stale)}"' in refused.content.decode()
    assert confirm(client, page, action=kept_key(stale)).url == page
    assert AccessToken.objects.filter(user=operator).count() == 1


def test_an_unknown_action_changes_nothing(client, operator):
    client.force_login(operator)
    make_stale(client)
    response = confirm(client, reverse("portal:token_list"), action="made-up", follow=True)
    assert kept_actions.GONE in messages_of(response)


def test_a_post_with_a_file_is_not_kept(client, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(operator)
    make_stale(client)
    page = reverse("portal:token_list")
    upload = SimpleUploadedFile("notes.txt", b"hello")

    stale = client.post(
        reverse("portal:token_create"), {"name": "x", "file": upload}, HTTP_REFERER=page
    )

    assert_sent_to_confirm(stale, page)
    assert "action" not in parse_qs(urlsplit(stale.url).query)
    assert not client.session.get(kept_actions.SESSION_KEY)
    followed = client.get(stale.url)
    assert any("could not be kept" in message for message in messages_of(followed))


def test_issuing_a_recommendation_is_done_after_confirming(
    client,
    lead,  # noqa: F811
    coordinator,
    case_in_review,  # noqa: F811
):
    from reviews.services import recommendations as recommendation_services

    recommendation_services.draft_recommendation(
        actor=lead, case_id=case_in_review.pk, outcome="no_concerns", summary="Fine.", conditions=""
    )
    workspace = reverse("reviews:case_recommendation", args=[case_in_review.pk])
    client.force_login(coordinator)
    make_stale(client)
    stale = client.post(
        reverse("reviews:recommendation_issue", args=[case_in_review.pk]),
        {"understood": "on"},
        HTTP_REFERER=workspace,
    )

    done = confirm(client, workspace, action=kept_key(stale), follow=True)

    assert done.redirect_chain[-1][0] == workspace
    assert "Recommendation issued. The developer has been told." in messages_of(done)
    case_in_review.refresh_from_db()
    assert case_in_review.status == CaseStatus.RECOMMENDATION_ISSUED


def test_a_kept_action_without_its_i_understand_box_changes_nothing(client, submitter, case, bank):
    from access.views.developer import REVOKE_UNDERSTOOD

    live = give_access(submitter, case, bank)
    client.force_login(submitter)
    make_stale(client)
    stale = client.post(
        reverse("access:grant_revoke", args=[live.pk]),
        {"reason": "Leaked."},
        HTTP_REFERER=case_url(case),
    )

    done = confirm(client, case_url(case), action=kept_key(stale), follow=True)

    assert REVOKE_UNDERSTOOD in messages_of(done)
    live.refresh_from_db()
    assert live.revoked_at is None


def test_a_kept_action_copied_back_into_the_session_is_still_done_once(client, operator):
    """Two confirmations racing with copies of the same session: the key is claimed once."""
    stale, page = stale_token_post(client, operator)
    key = kept_key(stale)
    copy_of_session = dict(client.session[kept_actions.SESSION_KEY])
    assert confirm(client, page, action=key).url == page

    session = client.session
    session[kept_actions.SESSION_KEY] = copy_of_session
    session.save()
    make_stale(client)
    again = confirm(client, page, action=key, follow=True)

    assert AccessToken.objects.filter(user=operator).count() == 1
    assert kept_actions.GONE in messages_of(again)
