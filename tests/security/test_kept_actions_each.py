"""Each sensitive action, sent with a stale sign-in and kept for after the confirmation.

For every view behind ``recent_auth_required``: the confirmation completes it;
when its view refuses it, or it is too old, nothing changes and the person
gets the form back with what they typed (never the "I understand" box or a
one-time code) and a message saying what happened; a replayed or made-up
confirmation changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access import services as access_services
from access.models import AccessGrant
from portal.accounts import kept_actions
from portal.accounts.models import AccessToken
from portal.audit.models import AuditEvent
from portal.cases.models import CaseStatus
from portal.cases.services import lifecycle as case_services
from portal.cases.views.pages import RELEASE_UNDERSTOOD, WITHDRAW_UNDERSTOOD
from reviews.models import Assignment
from reviews.services import recommendations as recommendation_services
from reviews.views.requests import ISSUE_UNDERSTOOD
from tests.access.fixtures_developer import *  # noqa: F403  (the fixtures in its __all__)
from tests.access.fixtures_developer import case_url, give_access
from tests.conftest import PASSWORD
from tests.reviews.fixtures_requests import case_in_review, lead, media  # noqa: F401
from tests.security.auth_helpers import ago, code_for, enrol, make_stale

ACTIONS = [
    "token_create",
    "email_change",
    "mfa_setup",
    "recovery_codes_new",
    "grant_create",
    "grant_approve",
    "grant_revoke",
    "recommendation_issue",
    "case_withdraw",
    "case_mark_released",
]


@dataclass
class Kept:
    """One sensitive action: who sends it, where, what, and how to tell it was done."""

    person: object
    url: str  # where the form posts
    page: str  # the page holding the form
    sent: dict  # a complete form, as typed
    done: Callable[[], bool]
    refused: dict  # a form its view refuses
    refusal: str  # what the person is told (a message, or the form's error)
    typed: list[str] = field(default_factory=list)  # on the page when filled in again
    before_confirming: Callable[[], None] = lambda: None  # for a refusal that comes later


def changes() -> int:
    """Audit events other than the confirmation itself: every change writes one."""
    return AuditEvent.objects.exclude(action="auth.reauthenticated").count()


@pytest.fixture
def kept(request, submitter, coordinator, bank, operator, reviewer):
    name = request.param
    if name == "token_create":
        return Kept(
            person=operator,
            url=reverse("portal:token_create"),
            page=reverse("portal:token_list"),
            sent={"name": "nightly"},
            done=lambda: AccessToken.objects.filter(name="nightly").exists(),
            refused={"name": "nightly", "days": "100000"},
            refusal="A token expires after at most",
            typed=['value="nightly"', 'value="100000"'],
        )
    if name == "email_change":
        return Kept(
            person=operator,
            url=reverse("email_change"),
            page=reverse("email_change"),
            sent={"email": "new-address@example.org"},
            done=lambda: any(m.to == ["new-address@example.org"] for m in mail.outbox),
            refused={"email": "not-an-address"},
            refusal="Enter a valid email address.",
            typed=['value="not-an-address"'],
        )
    if name == "mfa_setup":
        return Kept(
            person=reviewer,
            url=reverse("mfa_setup"),
            page=reverse("mfa_setup"),
            sent={},  # the code is typed as the test runs: see send()
            done=lambda: TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists(),
            refused={"code": "000000"},
            refusal="That code is not right.",
        )
    if name == "recovery_codes_new":
        enrol(reviewer)
        return Kept(
            person=reviewer,
            url=reverse("mfa_recovery_codes"),
            page=reverse("mfa_overview"),
            sent={},
            done=lambda: AuditEvent.objects.filter(action="mfa.recovery_codes_created").exists(),
            refused={},
            refusal="Set up an authenticator app or add a passkey first.",
            before_confirming=lambda: (
                TOTPDevice.objects.filter(user=reviewer).delete(),
                StaticDevice.objects.filter(user=reviewer).delete(),
            ),
        )
    if name == "recommendation_issue":
        return recommendation_kept(request.getfixturevalue("case_in_review"), coordinator)
    # The case fixtures: each asks for its own media folder, so only the one needed.
    case = request.getfixturevalue("case_in")(CaseStatus.IN_REVIEW)
    if name == "grant_create":
        return Kept(
            person=submitter,
            url=reverse("access:grant_create", args=[case.pk]),
            page=case_url(case),
            sent={"grant-operator": bank.pk, "grant-scope": "all"},
            done=lambda: AccessGrant.objects.filter(case=case, operator=bank).exists(),
            refused={"grant-operator": bank.pk, "grant-scope": "chosen"},
            refusal="Choose the artifacts to share.",
            typed=[f'<option value="{bank.pk}" selected>'],
        )
    if name == "grant_approve":
        nomination = access_services.nominate_access(
            actor=coordinator, case_id=case.pk, operator=bank
        )

        def decline():
            access_services.revoke_access(actor=submitter, grant_id=nomination.pk, reason="No.")

        return Kept(
            person=submitter,
            url=reverse("access:grant_approve", args=[nomination.pk]),
            page=case_url(case),
            sent={},
            done=lambda: AccessGrant.objects.filter(
                pk=nomination.pk, status=AccessGrant.Status.ACTIVE
            ).exists(),
            refused={},
            refusal="not nominated.",
            before_confirming=decline,
        )
    if name == "grant_revoke":
        live = give_access(submitter, case, bank)
        return Kept(
            person=submitter,
            url=reverse("access:grant_revoke", args=[live.pk]),
            page=case_url(case),
            sent={"reason": "The evaluation is over.", "understood": "on"},
            done=lambda: AccessGrant.objects.filter(pk=live.pk, revoked_at__isnull=False).exists(),
            refused={"reason": "The evaluation is over."},
            refusal="Tick “I understand” to revoke it.",
            typed=[
                "required>The evaluation is over.</textarea>",
                '<details class="margin-top-1" open>',
            ],
        )
    if name == "case_withdraw":
        return Kept(
            person=submitter,
            url=reverse("portal:case_withdraw", args=[case.pk]),
            page=reverse("portal:case_detail", args=[case.pk]),
            sent={"reason": "The model was cancelled.", "understood": "on"},
            done=lambda: case_status(case) == CaseStatus.WITHDRAWN,
            refused={"reason": "The model was cancelled."},
            refusal=WITHDRAW_UNDERSTOOD,
            typed=["required>The model was cancelled.</textarea>"],
        )
    assert name == "case_mark_released"
    case_services.mark_recommendation_issued(actor=coordinator, case_id=case.pk)
    return Kept(
        person=submitter,
        url=reverse("portal:case_mark_released", args=[case.pk]),
        page=reverse("portal:case_detail", args=[case.pk]),
        sent={"released_on": timezone.localdate().isoformat(), "understood": "on"},
        done=lambda: case_status(case) == CaseStatus.RELEASED,
        # The day before: what was typed, not the form's default of today.
        refused={"released_on": (timezone.localdate() - timedelta(days=1)).isoformat()},
        refusal=RELEASE_UNDERSTOOD,
        typed=[f'value="{timezone.localdate() - timedelta(days=1):%Y-%m-%d}"'],
    )


def recommendation_kept(case, coordinator) -> Kept:
    drafter = case.assignments.get(role=Assignment.Role.LEAD).reviewer
    recommendation_services.draft_recommendation(
        actor=drafter, case_id=case.pk, outcome="no_concerns", summary="Fine.", conditions=""
    )
    return Kept(
        person=coordinator,
        url=reverse("reviews:recommendation_issue", args=[case.pk]),
        page=reverse("reviews:case_recommendation", args=[case.pk]),
        sent={"understood": "on"},
        done=lambda: case_status(case) == CaseStatus.RECOMMENDATION_ISSUED,
        refused={},
        refusal=ISSUE_UNDERSTOOD,
    )


def case_status(case) -> str:
    case.refresh_from_db()
    return case.status


def send(client, kept: Kept, form: dict) -> str:
    """Sign in, let the sign-in go stale, send ``form``: the key it is kept under."""
    client.force_login(kept.person)
    if kept.url == reverse("mfa_setup"):
        client.get(kept.url)  # the authenticator being set up
        if not form:
            device = TOTPDevice.objects.get(user=kept.person)
            form = {"code": code_for(device)}
    make_stale(client)
    stale = client.post(kept.url, form, HTTP_REFERER="http://testserver" + kept.page)
    assert stale.status_code == 302
    parts = urlsplit(stale.url)
    assert parts.path == reverse("reauthenticate")
    assert parse_qs(parts.query)["next"] == [kept.page]
    return parse_qs(parts.query)["action"][0]


def confirm(client, kept: Kept, key: str, **extra):
    form = {"password": PASSWORD, "next": kept.page, "action": key}
    recovery = StaticToken.objects.filter(device__user=kept.person).first()
    if recovery is not None:  # a person with two-step sign-in confirms with a code too
        form["code"] = recovery.token
    return client.post(reverse("reauthenticate"), form, **extra)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("kept", ACTIONS, indirect=True)
def test_confirming_completes_the_kept_action(client, kept):
    key = send(client, kept, kept.sent)
    assert not kept.done()

    response = confirm(client, kept, key)

    assert response.status_code in (200, 302)
    assert kept.done()
    assert not client.session.get(kept_actions.REFILL_SESSION_KEY)


@pytest.mark.parametrize("kept", ACTIONS, indirect=True)
def test_a_refused_kept_action_gives_the_form_back_filled_in(client, kept):
    key = send(client, kept, kept.refused)
    kept.before_confirming()
    before = changes()

    response = confirm(client, kept, key, follow=True)

    assert not kept.done()
    assert changes() == before
    html = response.content.decode()
    assert kept.refusal in html
    if kept.url == reverse("mfa_setup"):
        # Its own page again, with the form's error: a one-time code is never filled in.
        assert response.redirect_chain == []
        return
    assert response.redirect_chain[-1][0].split("#")[0] == kept.page
    told = messages_of(response)
    assert any(message.startswith(kept_actions.NOT_DONE) for message in told)
    assert any(kept_actions.FILLED_IN in message for message in told) == bool(kept.typed)
    for text in kept.typed:
        assert text in html
    # Filled in once: the next visit shows the empty form.
    again = client.get(kept.page).content.decode()
    assert all(text not in again for text in kept.typed)


@pytest.mark.parametrize("kept", ACTIONS, indirect=True)
def test_a_kept_action_too_old_changes_nothing_and_gives_the_form_back(client, kept):
    key = send(client, kept, kept.refused if kept.typed else kept.sent)
    session = client.session
    session[kept_actions.SESSION_KEY][key]["at"] = ago(minutes=6)
    session.save()
    before = changes()
    outbox = len(mail.outbox)

    response = confirm(client, kept, key, follow=True)

    assert not kept.done()
    assert (changes(), len(mail.outbox)) == (before, outbox)
    assert response.redirect_chain[-1][0] == kept.page
    assert kept_actions.stale_message(filled_in=bool(kept.typed)) in messages_of(response)
    html = response.content.decode()
    for text in kept.typed:
        assert text in html


@pytest.mark.parametrize("kept", ACTIONS, indirect=True)
def test_a_replayed_or_made_up_confirmation_changes_nothing(client, kept):
    key = send(client, kept, kept.sent)
    confirm(client, kept, key)
    assert kept.done()
    before = changes()
    outbox = len(mail.outbox)

    for replayed in (key, "made-up"):
        make_stale(client)
        response = confirm(client, kept, replayed, follow=True)
        assert kept_actions.GONE in messages_of(response)

    assert (changes(), len(mail.outbox)) == (before, outbox)
    assert not client.session.get(kept_actions.REFILL_SESSION_KEY)


def test_the_i_understand_box_and_codes_are_never_filled_in_again(rf, operator):
    request = rf.post("/")
    request.session = {}
    request.user = operator
    action = {
        "path": "/somewhere",
        "post": [["reason", "Kept."], ["understood", "on"], ["code", "123456"]],
        "user": operator.pk,
        "at": 0,
    }

    assert kept_actions.hold_for_refill(request, action)

    refill = kept_actions.refill(request, "/somewhere")
    assert refill.dict() == {"reason": "Kept."}
    assert kept_actions.refill(request, "/somewhere") is None
