"""What the audit log records: sign-ins, memberships, groups, permissions, flags.

Each journey goes through the real page (the sign-in form, Django admin), so
the event names the person who acted and the address they acted from.
"""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from guardian.shortcuts import assign_perm, remove_perm

from portal.accounts.models import Membership, User
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD, make_person

ADMIN_IP = "198.51.100.20"
VISITOR_IP = "203.0.113.7"


def last_sequence():
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()


def events(action, after=0):
    return list(AuditEvent.objects.filter(action=action, sequence__gt=after).order_by("sequence"))


def only_event(action, after=0):
    found = events(action, after)
    assert len(found) == 1, [e.action for e in AuditEvent.objects.order_by("sequence")]
    return found[0]


# --- signing in and out -----------------------------------------------------


def test_signing_in_is_recorded_with_the_person_and_address(client, reviewer):
    response = client.post(
        reverse("login"),
        {"username": "reviewer", "password": PASSWORD},
        REMOTE_ADDR=VISITOR_IP,
    )

    assert response.status_code == 302
    event = only_event("auth.sign_in")
    assert event.actor == reviewer
    assert event.actor_repr == "reviewer"
    assert event.target_id == str(reviewer.pk)
    assert event.ip == VISITOR_IP


def test_a_wrong_password_is_refused_generically_and_recorded_without_it(client, reviewer):
    response = client.post(
        reverse("login"),
        {"username": "reviewer", "password": "not-the-password"},
        REMOTE_ADDR=VISITOR_IP,
    )

    assert response.status_code == 200
    assert b"The username or password is not right" in response.content
    assert "_auth_user_id" not in client.session
    assert not events("auth.sign_in")
    event = only_event("auth.sign_in_failed")
    assert event.details == {"username": "reviewer"}
    assert event.actor is None
    assert event.actor_repr == ""
    assert event.ip == VISITOR_IP
    assert "not-the-password" not in json.dumps(event.details)
    assert "not-the-password" not in event.canonical_content()


def test_an_unknown_username_gets_the_same_answer_and_is_recorded(client, reviewer):
    response = client.post(
        reverse("login"), {"username": "nobody", "password": PASSWORD}, REMOTE_ADDR=VISITOR_IP
    )

    assert b"The username or password is not right" in response.content
    event = only_event("auth.sign_in_failed")
    assert event.details == {"username": "nobody"}
    assert PASSWORD not in event.canonical_content()


def test_a_failed_sign_in_names_no_actor_even_from_a_signed_in_browser(client, reviewer):
    """The confirmation page (re-authentication) takes a password from someone signed in."""
    client.force_login(reviewer)

    response = client.post(reverse("reauthenticate"), {"password": "guess"}, REMOTE_ADDR=VISITOR_IP)

    assert response.status_code == 200
    event = only_event("auth.sign_in_failed")
    assert (event.actor, event.actor_repr, event.ip) == (None, "", VISITOR_IP)
    assert event.details == {"username": "reviewer"}


def test_a_deactivated_person_cannot_sign_in_and_the_attempt_is_recorded(client, reviewer):
    reviewer.is_active = False
    reviewer.save()

    response = client.post(reverse("login"), {"username": "reviewer", "password": PASSWORD})

    assert b"The username or password is not right" in response.content
    assert not events("auth.sign_in")
    assert only_event("auth.sign_in_failed").details == {"username": "reviewer"}


def test_signing_out_is_recorded(client, submitter):
    client.force_login(submitter)

    response = client.post(reverse("logout"), REMOTE_ADDR=VISITOR_IP)

    assert response.status_code == 302
    event = only_event("auth.sign_out")
    assert event.actor == submitter
    assert event.ip == VISITOR_IP


def test_signing_out_when_not_signed_in_records_nothing(client, db):
    client.post(reverse("logout"))

    assert not events("auth.sign_out")


# --- memberships, through Django admin -------------------------------------


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


def test_an_admin_adding_a_membership_is_recorded(admin_client, platform_admin, caisi):
    newcomer = make_person("newcomer")

    response = admin_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": newcomer.pk, "agency": caisi.pk, "organization": "", "role": "reviewer"},
        REMOTE_ADDR=ADMIN_IP,
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    event = only_event("membership.created")
    assert event.actor == platform_admin
    assert event.ip == ADMIN_IP
    assert event.target_id == str(newcomer.pk)
    assert event.details == {"user": "newcomer", "unit": "CAISI", "role": "reviewer"}
    assert list(newcomer.groups.all()) == [caisi.group]


def test_an_admin_changing_a_role_is_recorded_with_the_previous_one(
    admin_client, platform_admin, reviewer, caisi
):
    membership = reviewer.membership

    response = admin_client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {"user": reviewer.pk, "agency": caisi.pk, "organization": "", "role": "coordinator"},
        REMOTE_ADDR=ADMIN_IP,
    )

    assert response.status_code == 302
    event = only_event("membership.changed")
    assert event.actor == platform_admin
    assert event.ip == ADMIN_IP
    assert event.details["role"] == "coordinator"
    assert event.details["previous"]["role"] == "reviewer"


def test_saving_a_membership_unchanged_records_no_change(admin_client, reviewer, caisi):
    response = admin_client.post(
        reverse("admin:accounts_membership_change", args=[reviewer.membership.pk]),
        {"user": reviewer.pk, "agency": caisi.pk, "organization": "", "role": "reviewer"},
    )

    assert response.status_code == 302

    assert not events("membership.changed")


def test_an_admin_moving_a_person_to_another_unit_moves_their_group(
    admin_client, reviewer, developer, caisi
):
    before = last_sequence()

    admin_client.post(
        reverse("admin:accounts_membership_change", args=[reviewer.membership.pk]),
        {"user": reviewer.pk, "agency": "", "organization": developer.pk, "role": "submitter"},
        REMOTE_ADDR=ADMIN_IP,
    )

    assert only_event("membership.changed").details["unit"] == "Northwind Labs"
    assert only_event("user.groups.remove", before).details == {"items": [caisi.group.name]}
    assert only_event("user.groups.add", before).details == {"items": [developer.group.name]}
    assert list(reviewer.groups.all()) == [developer.group]


def test_an_admin_removing_a_membership_is_recorded(admin_client, platform_admin, reviewer):
    response = admin_client.post(
        reverse("admin:accounts_membership_delete", args=[reviewer.membership.pk]),
        {"post": "yes"},
        REMOTE_ADDR=ADMIN_IP,
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(user=reviewer).exists()
    event = only_event("membership.deleted")
    assert (event.actor, event.ip) == (platform_admin, ADMIN_IP)
    assert event.details == {"user": "reviewer", "unit": "CAISI", "role": "reviewer"}
    assert not reviewer.groups.exists()


def test_a_membership_made_outside_a_request_is_recorded_as_the_system(caisi):
    person = make_person("scripted", unit=caisi, role=Membership.Role.REVIEWER)

    event = only_event("membership.created")
    assert event.target_id == str(person.pk)
    assert (event.actor, event.actor_repr, event.ip) == (None, "", None)


# --- people's flags, groups and permissions, through Django admin -----------


def user_change_form(user, **changes):
    """What the admin's change page for ``user`` posts, with ``changes`` applied."""
    membership = getattr(user, "membership", None)
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
        "email_delivery": user.email_delivery,
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1" if membership else "0",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": membership.pk if membership else "",
        "membership-0-user": user.pk,
        "membership-0-agency": membership.agency_id or "" if membership else "",
        "membership-0-organization": membership.organization_id or "" if membership else "",
        "membership-0-role": membership.role if membership else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def post_user_change(client, user, **changes):
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        user_change_form(user, **changes),
        REMOTE_ADDR=ADMIN_IP,
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    return response


def test_an_admin_deactivating_a_person_is_recorded(admin_client, platform_admin, reviewer):
    post_user_change(admin_client, reviewer, is_active="")

    event = only_event("user.flags_changed")
    assert event.details == {"is_active": False}
    assert (event.actor, event.ip) == (platform_admin, ADMIN_IP)
    assert event.target_id == str(reviewer.pk)


def test_an_admin_granting_staff_status_is_recorded(admin_client, platform_admin, reviewer):
    post_user_change(admin_client, reviewer, is_staff="on")

    event = only_event("user.flags_changed")
    assert event.details == {"is_staff": True}
    assert event.actor == platform_admin


def test_saving_a_person_unchanged_records_no_flag_change(admin_client, reviewer):
    post_user_change(admin_client, reviewer, first_name="Rita")

    reviewer.refresh_from_db()
    assert reviewer.first_name == "Rita"
    assert not events("user.flags_changed")


def test_an_admin_adding_a_person_to_a_group_and_a_permission_is_recorded(
    admin_client, platform_admin, reviewer
):
    auditors = Group.objects.create(name="auditors")
    view_audit = Permission.objects.get(codename="view_auditevent")
    before = last_sequence()

    post_user_change(
        admin_client,
        reviewer,
        groups=[*reviewer.groups.values_list("pk", flat=True), auditors.pk],
        user_permissions=[view_audit.pk],
    )

    groups_event = only_event("user.groups.add", before)
    assert groups_event.details == {"items": ["auditors"]}
    assert (groups_event.actor, groups_event.ip) == (platform_admin, ADMIN_IP)
    permission_event = only_event("user.permissions.add")
    assert permission_event.details == {"items": [str(view_audit)]}
    assert permission_event.target_id == str(reviewer.pk)


def test_an_admin_changing_a_groups_permissions_is_recorded(admin_client, platform_admin):
    auditors = Group.objects.create(name="auditors")
    view_audit = Permission.objects.get(codename="view_auditevent")
    view_token = Permission.objects.get(codename="view_accesstoken")
    auditors.permissions.add(view_token)

    response = admin_client.post(
        reverse("admin:auth_group_change", args=[auditors.pk]),
        {"name": "auditors", "permissions": [view_audit.pk]},
        REMOTE_ADDR=ADMIN_IP,
    )

    assert response.status_code == 302
    added = events("group.permissions.add")
    assert [e.details for e in added] == [
        {"items": [str(view_token)]},
        {"items": [str(view_audit)]},
    ]
    assert (added[-1].actor, added[-1].ip) == (platform_admin, ADMIN_IP)
    removed = only_event("group.permissions.remove")
    assert removed.details == {"items": [str(view_token)]}
    assert removed.target_repr == "auditors"


def test_clearing_a_persons_groups_records_what_was_removed(reviewer, caisi):
    reviewer.groups.add(Group.objects.create(name="auditors"))

    reviewer.groups.clear()

    expected = sorted([caisi.group.name, "auditors"])
    assert only_event("user.groups.clear").details == {"items": expected}


def test_clearing_nothing_records_nothing(outsider):
    outsider.user_permissions.clear()

    assert not events("user.permissions.clear")


# --- guardian object permissions --------------------------------------------


def test_granting_and_revoking_an_object_permission_is_recorded(operator, developer):
    assign_perm("accounts.view_organization", operator, developer)

    granted = only_event("permission.granted")
    assert granted.details == {
        "permission": "view_organization",
        "holder": "operator",
        "object": "Northwind Labs",
    }
    assert granted.target_id == str(developer.pk)
    assert granted.target_repr == "Northwind Labs"

    remove_perm("accounts.view_organization", operator, developer)

    revoked = only_event("permission.revoked")
    assert revoked.details == granted.details
    assert revoked.sequence > granted.sequence


def test_a_group_object_permission_names_the_group(developer, bank):
    assign_perm("accounts.view_organization", bank.group, developer)

    assert only_event("permission.granted").details["holder"] == bank.group.name
    assert bank.group.name.startswith("org:first-harbor:")


def test_the_portal_grants_one_holder_and_one_object_at_a_time(operator, submitter, developer):
    """guardian's bulk forms send no post_save and would escape the audit log."""
    from portal.accounts.permissions import grant, revoke

    holders = User.objects.filter(pk__in=[operator.pk, submitter.pk])
    with pytest.raises(TypeError):
        grant("accounts.view_organization", holders, developer)
    with pytest.raises(TypeError):
        revoke("accounts.view_organization", operator, [developer])
    assert events("permission.granted") == []

    grant("accounts.view_organization", operator, developer)
    assert len(events("permission.granted")) == 1
