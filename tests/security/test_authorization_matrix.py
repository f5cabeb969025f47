"""Who gets what from every URL of the portal: the authorization matrix.

Every URL pattern the resolver knows (the Django admin aside, which is for
platform admins and guarded by Django itself) has a row here, and a new
pattern without one fails ``test_every_url_pattern_has_a_row``. Each row says,
for every persona of ``tests/security/world.py``, what a GET and a POST answer:

- 200, or the view's own redirect (302) after a POST, where the persona may act;
- 404 for an object the persona cannot see — the same as a missing one;
- 403 for an action on an object the persona can see but may not change, or a
  page of another role;
- a redirect to the login page for anonymous browsers, 401 for anonymous scripts;
- 405 for a method the URL does not take.

POSTs carry no data, so where success needs a valid form the permitted answer
is the form's own refusal (400, or 200 with errors) — what matters is that the
persona got past authorization. A denied POST must change nothing.
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from access.models import AccessGrant, EvaluationReport, TermsAcceptance
from portal.accounts.models import AccessToken
from portal.audit.models import AuditEvent
from portal.capability.models import RoutingRequest
from portal.cases.models import Artifact, ArtifactUpload, CaseRouting, EvalResult, Submission
from portal.core.hooks import CASE_PAGE, CASE_SECTIONS, WORKSPACE
from portal.discussions.models import Message, MessageAttachment, Thread
from portal.notifications.models import Notification
from reviews.models import (
    AgencyPosition,
    Assignment,
    Finding,
    InformationRequest,
    PositionAmendment,
    Recommendation,
)
from tests.security.routes import KWARGS, download_url_names, url_patterns
from tests.security.world import PERSONAS, world  # noqa: F401  (the module's world)

SIGNED_IN = [p for p in PERSONAS if p != "anonymous"]
LOGIN = "login"  # refused: a redirect to the sign-in page
SIGNED_OUT = "signed out"  # done: a redirect to the sign-in page after signing out
NOT_ALLOWED = 405


def answers(default, **codes):
    """Every signed-in persona's answer: ``default`` unless named."""
    unknown = set(codes) - set(SIGNED_IN)
    assert not unknown, unknown
    return {persona: codes.get(persona, default) for persona in SIGNED_IN}


EVERYONE = answers(200)
NOBODY = answers(NOT_ALLOWED)  # the method is not taken


def role_page(roles: dict, *, other=403):
    """A page of some roles: theirs answer as given, every other role 403."""
    return answers(other, **roles)


AGENCY = (
    "coordinator",
    "other_coordinator",
    "reviewer",
    "unassigned_reviewer",
    "monitor",
    "monitor_reviewer",
)
COORDINATORS = ("coordinator", "other_coordinator", "monitor")
REVIEWERS = ("reviewer", "unassigned_reviewer", "monitor_reviewer")
DEVELOPERS = ("submitter", "other_submitter")
OPERATORS = ("operator", "other_operator")


def scoped(row: dict, holders) -> dict:
    """An API view needing a token scope only ``holders`` carry: everyone else 403."""
    return {persona: row[persona] if persona in holders else 403 for persona in row}


def only(code, *personas, **others):
    return {**dict.fromkeys(personas, code), **others}


@dataclass(frozen=True)
class Row:
    get: dict
    post: dict
    anonymous: object = LOGIN  # LOGIN or a status code, or {"get": …, "post": …}
    api: bool = False


# What the case's world lets each persona do. The case in review is routed to
# CAISI (coordinator; reviewer is its accepted lead; unassigned_reviewer is not on
# it); NSA (other_coordinator) is not on it. The draft belongs to the same
# developer. The bank (operator) holds a live grant and accepted the terms.
# ONCD (monitor, monitor_reviewer) monitors capability jumps: it sees every
# case's scores on the Frontier, but no case is routed to it, so every page of
# a case answers it as to any agency not on the case (404); its coordinator
# has asked CAISI, the lead, to route the case in review to ONCD.
CASE_SEEN_BY = ("coordinator", "reviewer", "submitter")

# Pages about the case that agency staff on the case and the developer read.
case_read = answers(404, **only(200, *CASE_SEEN_BY))
# An action of the developer on its case: agency staff who see the case get 403.
developer_action = answers(404, coordinator=403, reviewer=403, submitter=302)
# A tus request of the developer on its case, without the protocol's headers.
tus_action = answers(404, coordinator=403, reviewer=403, submitter=412)
# An action of the developer on its draft, which nobody else sees.
draft_action = answers(404, submitter=302)
# The assigned reviewer's (and the coordinator's) work on the case; others 404.
review_action = answers(404, coordinator=302, reviewer=302)
# The case workspace and each of its sections, for agency staff on the case.
workspace_read = answers(404, coordinator=200, reviewer=200)
# The coordinator's actions: other roles 403 (a page of another role); a
# coordinator of an agency not on the case 404.
coordinator_action = role_page({"coordinator": 302, "other_coordinator": 404, "monitor": 404})
# The joint case (CAISI leads, NSA participates): the lead's coordinator acts
# for the lead, NSA's for its position; each gets 403 on the other's side. Other
# roles 403 (a coordinator's page).
lead_action = role_page({"coordinator": 302, "other_coordinator": 403, "monitor": 404})
participant_action = role_page({"coordinator": 403, "other_coordinator": 302, "monitor": 404})
# The bank's pages: other roles 403; the other bank cannot see the grant.
operator_page = role_page(only(200, *OPERATORS))
operator_object = role_page({"operator": 200, "other_operator": 404})
# A granted file: only the granted operator; everyone else 404.
granted_file = answers(404, operator=200)
# The bank's report, marked for the agencies and the developer.
report_read = answers(404, **only(200, *CASE_SEEN_BY, "operator"))

MATRIX: dict[str, Row] = {
    # Public and sign-in.
    "healthz": Row(get=EVERYONE, post=NOBODY, anonymous={"get": 200, "post": NOT_ALLOWED}),
    "home": Row(get=answers(302), post=NOBODY),
    "login": Row(get=answers(302), post=answers(302), anonymous=200),
    "logout": Row(get=NOBODY, post=answers(SIGNED_OUT)),
    # The MFA and re-authentication pages of one's own account.
    "login_code": Row(get=answers(LOGIN), post=answers(LOGIN)),
    "reauthenticate": Row(get=EVERYONE, post=EVERYONE),
    "mfa_overview": Row(get=EVERYONE, post=NOBODY),
    "mfa_setup": Row(get=EVERYONE, post=EVERYONE),
    "mfa_recovery_codes": Row(get=NOBODY, post=answers(302, unassigned_reviewer=200)),
    # Passkeys: agency staff and admins add them (others 403, JSON; so is someone
    # with a second factor not used this session, unassigned_reviewer's passkey);
    # each removes only their own (404 otherwise); confirming with one needs one
    # (403 otherwise); signing in with one needs a password step in progress
    # (401 without).
    "passkey_registration_begin": Row(
        get=role_page(only(NOT_ALLOWED, "admin", *AGENCY, unassigned_reviewer=403)),
        post=role_page(only(200, "admin", *AGENCY, unassigned_reviewer=403)),
    ),
    "passkey_registration_complete": Row(
        get=role_page(only(NOT_ALLOWED, "admin", *AGENCY, unassigned_reviewer=403)),
        post=role_page(only(400, "admin", *AGENCY, unassigned_reviewer=403)),
    ),
    "passkey_confirm_begin": Row(
        get=answers(403, unassigned_reviewer=NOT_ALLOWED),
        post=answers(403, unassigned_reviewer=200),
    ),
    "passkey_confirm_complete": Row(
        get=answers(403, unassigned_reviewer=NOT_ALLOWED),
        post=answers(403, unassigned_reviewer=400),
    ),
    "passkey_remove": Row(get=NOBODY, post=answers(404, unassigned_reviewer=302)),
    "passkey_sign_in_begin": Row(get=answers(401), post=answers(401), anonymous=401),
    "passkey_sign_in_complete": Row(get=answers(401), post=answers(401), anonymous=401),
    "password_change": Row(get=EVERYONE, post=EVERYONE),
    "password_change_done": Row(get=EVERYONE, post=NOBODY),
    "email_change": Row(get=EVERYONE, post=answers(400)),
    "email_change_confirm": Row(get=EVERYONE, post=EVERYONE),
    # Links by email: open to anyone, the link is the proof (bogus links here).
    "password_reset": Row(get=EVERYONE, post=EVERYONE, anonymous=200),
    "password_reset_sent": Row(
        get=EVERYONE, post=NOBODY, anonymous={"get": 200, "post": NOT_ALLOWED}
    ),
    "password_reset_confirm": Row(get=EVERYONE, post=EVERYONE, anonymous=200),
    "password_reset_complete": Row(
        get=EVERYONE, post=NOBODY, anonymous={"get": 200, "post": NOT_ALLOWED}
    ),
    "invitation_accept": Row(get=EVERYONE, post=EVERYONE, anonymous=200),
    # Scripts.
    "api_me": Row(get=EVERYONE, post=NOBODY, anonymous=401, api=True),
    # A token without the view's scope gets 403 naming it, whatever the method.
    "api_artifact_put": Row(
        get=scoped(NOBODY, DEVELOPERS), post=scoped(NOBODY, DEVELOPERS), anonymous=401, api=True
    ),
    "api_grants": Row(get=operator_page, post=scoped(NOBODY, OPERATORS), anonymous=401, api=True),
    "api_download": Row(
        get=scoped(granted_file, OPERATORS),
        post=scoped(NOBODY, OPERATORS),
        anonymous=401,
        api=True,
    ),
    "api_sha256sums": Row(
        get=scoped(granted_file, OPERATORS),
        post=scoped(NOBODY, OPERATORS),
        anonymous=401,
        api=True,
    ),
    # Resumable uploads (tus): GET is no tus method; a POST without Tus-Resumable
    # reaches the version check (412) only for the developer's submitter.
    "api_uploads": Row(
        get=scoped(NOBODY, DEVELOPERS), post=scoped(tus_action, DEVELOPERS), anonymous=401, api=True
    ),
    "api_upload": Row(
        get=scoped(NOBODY, DEVELOPERS), post=scoped(NOBODY, DEVELOPERS), anonymous=401, api=True
    ),
    # The frontier as JSON: agency staff, scoped like the Frontier pages; others 403.
    "api_frontier": Row(
        get=role_page(only(200, *AGENCY)), post=answers(NOT_ALLOWED), anonymous=401, api=True
    ),
    # The whole snapshot in one aria2c command, and its signed manifest.
    "api_aria2": Row(
        get=scoped(granted_file, OPERATORS), post=scoped(NOBODY, OPERATORS), anonymous=401, api=True
    ),
    "api_model_sig": Row(
        get=scoped(granted_file, OPERATORS), post=scoped(NOBODY, OPERATORS), anonymous=401, api=True
    ),
    # The manifests' public key: published for anyone to verify with.
    "manifest_signing_key": Row(
        get=EVERYONE, post=NOBODY, anonymous={"get": 200, "post": NOT_ALLOWED}
    ),
    # Cases.
    "portal:case_list": Row(get=role_page(only(200, *DEVELOPERS)), post=NOBODY),
    "portal:case_create": Row(
        get=role_page(only(200, *DEVELOPERS)), post=role_page(only(400, *DEVELOPERS))
    ),
    # The developer's case page and its sections; agency staff on the case read
    # them too (without the developer's forms, linked to their workspace).
    "portal:case_detail": Row(get=case_read, post=NOBODY),
    "portal:case_artifacts": Row(get=case_read, post=NOBODY),
    "portal:case_scores": Row(get=case_read, post=NOBODY),
    "portal:case_timeline": Row(get=case_read, post=NOBODY),
    "portal:case_section": Row(get=case_read, post=NOBODY),
    "portal:case_edit": Row(get=answers(404, submitter=200), post=answers(404, submitter=400)),
    "portal:case_submit": Row(get=NOBODY, post=draft_action),
    "portal:case_withdraw": Row(get=NOBODY, post=developer_action),
    "portal:case_mark_released": Row(get=NOBODY, post=developer_action),
    "portal:case_change_release_date": Row(get=NOBODY, post=developer_action),
    "portal:artifact_upload": Row(get=NOBODY, post=developer_action),
    # The coordinator sees the case but does not download weights: only the
    # assigned reviewers and the developer do.
    "portal:artifact_download": Row(
        get=answers(404, coordinator=403, reviewer=200, submitter=200), post=NOBODY
    ),
    # The case's signed manifest: whoever downloads its artifacts.
    "portal:case_model_sig": Row(
        get=answers(404, coordinator=403, reviewer=200, submitter=200), post=NOBODY
    ),
    "portal:artifact_delete": Row(get=NOBODY, post=draft_action),
    "portal:eval_result_set": Row(get=NOBODY, post=draft_action),
    "portal:eval_result_remove": Row(get=NOBODY, post=draft_action),
    # A submitted case's score corrected, with a reason (none given here: refused, 302).
    "portal:eval_result_correct": Row(get=NOBODY, post=developer_action),
    # Capability jumps: agency staff and developers (their own history); the
    # CSV of the frontier only for agency staff.
    "portal:frontier": Row(get=role_page(only(200, *AGENCY, *DEVELOPERS)), post=NOBODY),
    "portal:frontier_csv": Row(get=role_page(only(200, *AGENCY)), post=NOBODY),
    # A benchmark's full chart: the same people as the frontier page.
    "portal:frontier_benchmark": Row(get=role_page(only(200, *AGENCY, *DEVELOPERS)), post=NOBODY),
    # Asking for a case: only a monitoring agency's coordinator (an empty reason
    # is the form's refusal); other roles and other agency staff 403.
    "portal:frontier_routing_request": Row(
        get=answers(403, monitor=200), post=answers(403, monitor=400)
    ),
    # Answering: a coordinator of the case's lead (no decision: a message, nothing
    # changes); agency staff who see the case 403; the asking agency, the developer
    # and everyone else 404.
    "portal:routing_request_answer": Row(
        get=NOBODY, post=answers(404, coordinator=302, reviewer=403)
    ),
    # One's own notifications and tokens. Platform admins have no unit: no tokens.
    "portal:notification_list": Row(get=EVERYONE, post=NOBODY),
    "portal:notifications_read": Row(get=NOBODY, post=answers(302)),
    "portal:email_delivery": Row(get=NOBODY, post=answers(302)),
    "portal:token_list": Row(get=answers(200, admin=403), post=NOBODY),
    # unassigned_reviewer has a passkey (a second factor) not used this session:
    # agency staff with one confirm with it before making a token.
    "portal:token_create": Row(get=NOBODY, post=answers(400, admin=403, unassigned_reviewer=302)),
    "portal:token_revoke": Row(get=NOBODY, post=answers(404, admin=403, submitter=302)),
    # The coordinator's queue and assignments.
    "reviews:agency_queue": Row(get=role_page(only(200, *COORDINATORS)), post=NOBODY),
    "reviews:agency_reviewers": Row(get=role_page(only(200, *COORDINATORS)), post=NOBODY),
    "reviews:assign": Row(get=NOBODY, post=coordinator_action),
    "reviews:route": Row(get=NOBODY, post=coordinator_action),
    "reviews:assignment_remove": Row(get=NOBODY, post=coordinator_action),
    "reviews:assignment_due": Row(get=NOBODY, post=coordinator_action),
    # The reviewer's queue and own assignment.
    # Search: every role, among what each person sees; platform admins have no role.
    "reviews:search": Row(get=answers(200, admin=403), post=NOBODY),
    "reviews:my_cases": Row(get=role_page(only(200, *REVIEWERS)), post=NOBODY),
    "reviews:assignment_respond": Row(
        get=answers(404, reviewer=200), post=answers(404, reviewer=302)
    ),
    "reviews:assignment_complete": Row(get=NOBODY, post=answers(404, reviewer=302)),
    # The case workspace, for agency staff on the case.
    "reviews:workspace": Row(get=workspace_read, post=NOBODY),
    # Its sections: the same people, the same answers.
    "reviews:case_reviewers": Row(get=workspace_read, post=NOBODY),
    "reviews:case_findings": Row(get=workspace_read, post=NOBODY),
    "reviews:case_requests": Row(get=workspace_read, post=NOBODY),
    "reviews:case_scores": Row(get=workspace_read, post=NOBODY),
    "reviews:case_artifacts": Row(get=workspace_read, post=NOBODY),
    "reviews:case_recommendation": Row(get=workspace_read, post=NOBODY),
    "reviews:case_timeline": Row(get=workspace_read, post=NOBODY),
    "reviews:case_discussion": Row(get=workspace_read, post=NOBODY),
    "reviews:case_section": Row(get=workspace_read, post=NOBODY),
    "reviews:finding_create": Row(get=NOBODY, post=answers(404, coordinator=403, reviewer=400)),
    "reviews:finding_update": Row(get=NOBODY, post=review_action),
    # The finding is marked for the developer.
    "reviews:evidence_download": Row(get=case_read, post=NOBODY),
    "reviews:request_open": Row(get=NOBODY, post=review_action),
    "reviews:request_answer": Row(get=NOBODY, post=answers(404, submitter=302)),
    "reviews:request_withdraw": Row(get=NOBODY, post=review_action),
    "reviews:attachment_download": Row(get=case_read, post=NOBODY),
    "reviews:score_record": Row(get=NOBODY, post=review_action),
    "reviews:recommendation_draft": Row(get=NOBODY, post=review_action),
    "reviews:recommendation_issue": Row(get=NOBODY, post=review_action),
    "reviews:lead_hand_over": Row(get=NOBODY, post=lead_action),
    "reviews:recommendation_deadline": Row(get=NOBODY, post=lead_action),
    "reviews:position_record": Row(get=NOBODY, post=participant_action),
    "reviews:position_amend": Row(get=NOBODY, post=participant_action),
    # Discussions: every person with a role has a list of the threads they read.
    # A case's threads: those on the case, and the bank with a live grant on it.
    # Starting one or replying without text is the form's refusal (400). The
    # thread is the one with the developer: never an operator's.
    "discussions:inbox": Row(get=answers(200, admin=403), post=NOBODY),
    "discussions:case_threads": Row(
        get=answers(404, **only(200, *CASE_SEEN_BY, "operator")), post=NOBODY
    ),
    "discussions:thread_start": Row(
        get=NOBODY, post=answers(404, **only(400, *CASE_SEEN_BY, "operator"))
    ),
    "discussions:thread": Row(get=case_read, post=NOBODY),
    "discussions:message_post": Row(get=NOBODY, post=answers(404, **only(400, *CASE_SEEN_BY))),
    "discussions:attachment_download": Row(get=case_read, post=NOBODY),
    # The bank's pages.
    "access:granted_models": Row(get=operator_page, post=NOBODY),
    "access:grant_detail": Row(get=operator_object, post=NOBODY),
    "access:download_history": Row(get=operator_page, post=NOBODY),
    "access:terms": Row(get=operator_page, post=NOBODY),
    "access:terms_accept": Row(get=NOBODY, post=role_page(only(400, *OPERATORS))),
    "access:download": Row(get=granted_file, post=NOBODY),
    "access:sha256sums": Row(get=granted_file, post=NOBODY),
    "access:model_sig": Row(get=granted_file, post=NOBODY),
    # Granting access: the developer grants, approves and revokes; a
    # coordinator of an agency on the case nominates.
    "access:grant_create": Row(get=NOBODY, post=developer_action),
    "access:grant_nominate": Row(
        get=NOBODY, post=answers(404, coordinator=302, reviewer=403, submitter=403)
    ),
    "access:grant_approve": Row(get=NOBODY, post=developer_action),
    "access:grant_revoke": Row(get=NOBODY, post=developer_action),
    "access:case_downloads": Row(get=case_read, post=NOBODY),
    # Evaluation reports: the bank writes them; the report is marked for the
    # agencies and the developer.
    "access:report_create": Row(get=answers(404, operator=200), post=answers(404, operator=400)),
    "access:report_detail": Row(get=report_read, post=NOBODY),
    "access:report_file": Row(get=report_read, post=NOBODY),
}


def fingerprint() -> tuple:
    """Everything a POST could change, in a form two calls can compare."""
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        list(
            Submission.objects.order_by("pk").values_list(
                "pk", "status", "model_name", "lead_agency"
            )
        ),
        CaseRouting.objects.count(),
        list(Artifact.objects.order_by("pk").values_list("pk")),
        ArtifactUpload.objects.count(),
        list(EvalResult.objects.order_by("pk").values_list("pk", "score")),
        list(Assignment.objects.order_by("pk").values_list("pk", "status", "due_date")),
        list(Finding.objects.order_by("pk").values_list("pk", "status", "marking")),
        list(InformationRequest.objects.order_by("pk").values_list("pk", "status")),
        list(
            Recommendation.objects.values_list(
                "pk", "outcome", "summary", "issued_at", "response_deadline"
            )
        ),
        list(AgencyPosition.objects.values_list("pk", "stance", "text", "marking")),
        PositionAmendment.objects.count(),
        Thread.objects.count(),
        Message.objects.count(),
        MessageAttachment.objects.count(),
        list(AccessGrant.objects.order_by("pk").values_list("pk", "status")),
        EvaluationReport.objects.count(),
        TermsAcceptance.objects.count(),
        list(AccessToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        list(RoutingRequest.objects.order_by("pk").values_list("pk", "status")),
        list(WebAuthnCredential.objects.order_by("pk").values_list("pk", "confirmed")),
    )


def client_for(world, name: str, persona: str):  # noqa: F811
    """A client signed in as the persona (a session, or a token for the API)."""
    client = Client()
    if persona != "anonymous":
        if MATRIX[name].api:
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[persona]}"
        else:
            client.force_login(world.people[persona])
    return client


def expected(name: str, method: str, persona: str):
    row = MATRIX[name]
    if persona == "anonymous":
        return row.anonymous[method] if isinstance(row.anonymous, dict) else row.anonymous
    return getattr(row, method)[persona]


def test_every_url_pattern_has_a_row():
    patterns = {name for name, _route in url_patterns()}
    missing = sorted(patterns - MATRIX.keys())
    stale = sorted(MATRIX.keys() - patterns)
    assert not missing, f"Add these URL patterns to the authorization matrix: {missing}"
    assert not stale, f"These rows name no URL pattern any more: {stale}"


def test_the_url_walk_reaches_nested_and_namespaced_patterns():
    names = {name for name, _route in url_patterns()}
    assert {"healthz", "portal:case_detail", "reviews:workspace", "api_grants"} <= names
    assert not any(name.startswith("admin:") for name in names)


def test_every_row_names_every_persona():
    for name, row in MATRIX.items():
        assert set(row.get) == set(SIGNED_IN) == set(row.post), name


CASES = [
    (name, method, persona)
    for name in sorted(MATRIX)
    for method in ("get", "post")
    for persona in PERSONAS
]


@pytest.mark.parametrize(("name", "method", "persona"), CASES)
def test_authorization_answer(world, db, name, method, persona):  # noqa: F811
    want = expected(name, method, persona)
    client = client_for(world, name, persona)
    url = reverse(name, kwargs=KWARGS.get(name, lambda w: {})(world))
    before = fingerprint() if method == "post" else None

    response = getattr(client, method)(url)

    location = response.get("Location", "")
    if want in (LOGIN, SIGNED_OUT):
        assert response.status_code == 302, (name, method, persona, response.status_code)
        assert location.startswith(reverse("login")), location
    else:
        assert response.status_code == want, (name, method, persona, response.status_code)
        if want == 302:
            assert not location.startswith(reverse("login")), location
    if response.get("Content-Disposition", "").startswith("attachment"):
        # Files go out only through portal.files.downloads (tests/files/test_download_records.py).
        assert name in download_url_names(), f"{name} sends a file but is no download view"
    if method == "post" and (response.status_code in (401, 403, 404, 405) or want == LOGIN):
        assert fingerprint() == before, f"a refused POST to {name} changed something"


# Every section other apps add (portal.core.hooks.case_panel with a section),
# on each page it is added to: (URL name, section) -> the answers to a GET.
ADDED_SECTIONS = {
    ("portal:case_section", "review"): answers(404, submitter=200),
    ("portal:case_section", "discussion"): case_read,
    ("portal:case_section", "access"): case_read,
    ("reviews:case_section", "access"): workspace_read,
}
PAGE_URL_NAMES = {CASE_PAGE: "portal:case_section", WORKSPACE: "reviews:case_section"}


def test_every_added_section_has_its_answers():
    registered = {
        (PAGE_URL_NAMES[page], added.key)
        for added in CASE_SECTIONS.values()
        for page in added.pages
    }
    assert registered == set(ADDED_SECTIONS)


@pytest.mark.parametrize(
    ("name", "section", "persona"),
    [(name, section, persona) for name, section in ADDED_SECTIONS for persona in SIGNED_IN],
)
def test_every_added_section_answers(world, db, name, section, persona):  # noqa: F811
    client = client_for(world, name, persona)
    url = reverse(name, kwargs={"pk": world.case.pk, "section": section})
    assert client.get(url).status_code == ADDED_SECTIONS[name, section][persona]
