"""Django admin for platform admins: units, people, tokens and the read-only audit log."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from portal.accounts.models import AccessToken, Membership, User
from portal.audit.models import AuditEvent
from tests.conftest import Role, make_person


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def results(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


class FormFields(HTMLParser):
    """What a browser would submit for the page's main form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs.get("value", "on"))
                return
            self.data.setdefault(name, []).append(attrs.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def form_data(response) -> dict:
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.data


# --- changelists, search and filters ---------------------------------------


def test_every_changelist_opens_for_the_platform_admin(admin_client, personas):
    AccessToken.create_for(personas["submitter"], name="upload script")
    for model in [
        "accounts_agency",
        "accounts_organization",
        "accounts_user",
        "accounts_membership",
        "accounts_accesstoken",
        "audit_auditevent",
    ]:
        response = admin_client.get(reverse(f"admin:{model}_changelist"))
        assert response.status_code == 200, model
        assert results(response), model


def test_search_and_filters_on_units(admin_client, caisi, nsa, developer, bank):
    url = reverse("admin:accounts_agency_changelist")
    assert results(admin_client.get(url, {"q": "NSA"})) == [nsa]
    assert set(results(admin_client.get(url, {"active__exact": "1"}))) == {caisi, nsa}
    assert results(admin_client.get(url, {"active__exact": "0"})) == []

    url = reverse("admin:accounts_organization_changelist")
    assert results(admin_client.get(url, {"q": "harbor"})) == [bank]
    assert results(admin_client.get(url, {"kind__exact": "developer"})) == [developer]
    assert results(admin_client.get(url, {"sector__exact": "financial_services"})) == [bank]


def test_search_and_filters_on_people(admin_client, personas, caisi, bank):
    url = reverse("admin:accounts_user_changelist")
    assert results(admin_client.get(url, {"q": "coordinator"})) == [personas["coordinator"]]
    reviewers = results(admin_client.get(url, {"membership__role__exact": Role.REVIEWER}))
    assert reviewers == [personas["reviewer"]]
    at_caisi = results(admin_client.get(url, {"membership__agency__id__exact": caisi.pk}))
    assert set(at_caisi) == {personas["coordinator"], personas["reviewer"]}
    at_bank = results(admin_client.get(url, {"membership__organization__id__exact": bank.pk}))
    assert at_bank == [personas["operator"]]
    assert results(admin_client.get(url, {"is_superuser__exact": "1"})) == [personas["admin"]]

    url = reverse("admin:accounts_membership_changelist")
    found = results(admin_client.get(url, {"q": "submitter"}))
    assert [m.user for m in found] == [personas["submitter"]]
    found = results(admin_client.get(url, {"role__exact": Role.SECURITY_TEAM}))
    assert [m.user for m in found] == [personas["operator"]]
    found = results(admin_client.get(url, {"agency__id__exact": caisi.pk}))
    assert {m.user for m in found} == {personas["coordinator"], personas["reviewer"]}


def test_search_and_filters_on_tokens(admin_client, submitter, operator):
    upload, _ = AccessToken.create_for(submitter, name="upload script")
    download, _ = AccessToken.create_for(operator, name="download script")
    AccessToken.objects.filter(pk=download.pk).update(revoked_at=download.created_at)
    url = reverse("admin:accounts_accesstoken_changelist")
    assert results(admin_client.get(url, {"q": "upload"})) == [upload]
    assert results(admin_client.get(url, {"q": "operator"})) == [download]
    assert results(admin_client.get(url, {"revoked_at__isempty": "1"})) == [upload]
    assert results(admin_client.get(url, {"revoked_at__isempty": "0"})) == [download]


def test_search_and_filters_on_audit_events(admin_client, personas):
    url = reverse("admin:audit_auditevent_changelist")
    created = results(admin_client.get(url, {"action__exact": "membership.created"}))
    assert created
    assert {e.action for e in created} == {"membership.created"}
    found = results(admin_client.get(url, {"q": "coordinator"}))
    assert found
    assert all("coordinator" in (e.target_repr + e.actor_repr + e.action) for e in found)
    year = AuditEvent.objects.first().created_at.year
    assert results(admin_client.get(url, {"created_at__year": year}))
    assert results(admin_client.get(url, {"created_at__year": year - 5})) == []


def test_person_change_page_has_the_membership_inline(admin_client, reviewer):
    response = admin_client.get(reverse("admin:accounts_user_change", args=[reviewer.pk]))
    assert response.status_code == 200
    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert [fs.model for fs in formsets] == [Membership]
    assert formsets[0].forms[0].instance == reviewer.membership


# --- the audit log cannot be changed here -----------------------------------


def test_audit_events_cannot_be_added_changed_or_deleted(admin_client, reviewer):
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    response = admin_client.get(change_url)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert b'name="_continue"' not in response.content
    response = admin_client.post(change_url, {"action": "forged"})
    assert response.status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action != "forged"
    response = admin_client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- tokens are revoked, never created ---------------------------------------


def test_tokens_cannot_be_added(admin_client):
    assert admin_client.get(reverse("admin:accounts_accesstoken_add")).status_code == 403


def test_revoke_action_revokes_the_selected_tokens_and_audits(
    admin_client, platform_admin, submitter, operator
):
    chosen, _ = AccessToken.create_for(submitter, name="upload script")
    already, _ = AccessToken.create_for(submitter, name="old script")
    AccessToken.objects.filter(pk=already.pk).update(revoked_at=already.created_at)
    untouched, _ = AccessToken.create_for(operator, name="download script")
    response = admin_client.post(
        reverse("admin:accounts_accesstoken_changelist"),
        {"action": "revoke", "_selected_action": [chosen.pk, already.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 token revoked." in [str(m) for m in response.context["messages"]]
    chosen.refresh_from_db()
    already.refresh_from_db()
    untouched.refresh_from_db()
    assert chosen.status == "revoked"
    assert already.revoked_at == already.created_at  # the first revocation stands
    assert untouched.status == "active"
    events = list(AuditEvent.objects.filter(action="token.revoked"))
    assert len(events) == 1
    assert events[0].actor == platform_admin
    assert events[0].target_id == str(chosen.pk)
    assert events[0].details == {"prefix": chosen.prefix, "by_admin": True}


# --- people and memberships ----------------------------------------------------


def add_person_data(username, **membership) -> dict:
    return {
        "username": username,
        "email": f"{username}@example.test",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-agency": "",
        "membership-0-organization": "",
        **{f"membership-0-{key}": value for key, value in membership.items()},
    }


def test_adding_a_person_with_a_membership_puts_them_in_the_units_group(
    admin_client, caisi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:accounts_user_add"),
            add_person_data("newreviewer", agency=caisi.pk, role=Role.REVIEWER),
        )
    assert response.status_code == 302, response.context and response.context.get("errors")
    person = User.objects.get(username="newreviewer")
    assert person.membership.agency == caisi
    assert person.membership.role == Role.REVIEWER
    assert list(person.groups.all()) == [caisi.group]
    # No password typed by the admin: the person sets one from their invitation.
    assert not person.has_usable_password()
    assert [message.to for message in mail.outbox] == [["newreviewer@example.test"]]
    assert AuditEvent.objects.filter(action="membership.created", target_id=str(person.pk))


def test_a_role_that_does_not_fit_the_organization_is_refused(admin_client, developer, bank):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        add_person_data("misfit", organization=developer.pk, role=Role.SECURITY_TEAM),
    )
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0].formset
    assert "organization admin, submitter" in " ".join(inline.errors[0]["role"])
    assert "organization admin, submitter" in response.content.decode()
    assert not User.objects.filter(username="misfit").exists()


def test_membership_admin_refuses_a_role_that_does_not_fit(admin_client, outsider, developer):
    url = reverse("admin:accounts_membership_add")
    response = admin_client.post(
        url, {"user": outsider.pk, "organization": developer.pk, "role": Role.SECURITY_TEAM}
    )
    assert response.status_code == 200
    assert "organization admin, submitter" in " ".join(
        response.context["adminform"].form.errors["role"]
    )
    response = admin_client.post(
        url, {"user": outsider.pk, "organization": developer.pk, "role": Role.COORDINATOR}
    )
    assert response.status_code == 200
    assert not Membership.objects.filter(user=outsider).exists()
    response = admin_client.post(
        url, {"user": outsider.pk, "organization": developer.pk, "role": Role.SUBMITTER}
    )
    assert response.status_code == 302
    assert list(outsider.groups.all()) == [developer.group]


def test_moving_a_person_through_the_inline_moves_their_group(admin_client, reviewer, nsa, caisi):
    url = reverse("admin:accounts_user_change", args=[reviewer.pk])
    data = form_data(admin_client.get(url))
    data["membership-0-agency"] = [str(nsa.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.membership.agency == nsa
    assert list(reviewer.groups.all()) == [nsa.group]


def test_editing_groups_by_hand_keeps_the_unit_group(admin_client, reviewer, caisi, nsa):
    """The groups box cannot take a person out of their unit's group, or into another's."""
    url = reverse("admin:accounts_user_change", args=[reviewer.pk])
    data = form_data(admin_client.get(url))
    assert data["groups"] == [str(caisi.group_id)]
    data["groups"] = [str(nsa.group_id)]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert list(reviewer.groups.all()) == [caisi.group]


# --- only platform admins get in -----------------------------------------------


@pytest.mark.parametrize(
    "persona", ["coordinator", "reviewer", "submitter", "operator", "outsider"]
)
def test_other_personas_are_sent_to_the_admin_sign_in(client, personas, persona):
    client.force_login(personas[persona])
    for url in [reverse("admin:index"), reverse("admin:audit_auditevent_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_revoking_takes_more_than_the_view_permission(client, submitter):
    token, _ = AccessToken.create_for(submitter, name="upload script")
    clerk = make_person("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_accesstoken"))
    client.force_login(clerk)
    url = reverse("admin:accounts_accesstoken_changelist")
    assert results(client.get(url)) == [token]
    client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is None

    clerk.user_permissions.add(Permission.objects.get(codename="change_accesstoken"))
    client.post(url, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_staff_without_model_permissions_sees_nothing(client, db):
    clerk = make_person("clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
