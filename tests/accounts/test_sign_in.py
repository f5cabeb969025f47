"""Signing in and out, and changing one's password."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from portal.accounts.forms import SIGN_IN_REFUSED
from portal.audit.models import AuditEvent
from tests.conftest import PASSWORD, make_person


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def test_sign_in_page_shows_a_uswds_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form class="usa-form' in html
    assert 'class="usa-input"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert response.context["form"].__class__.__name__ == "SignInForm"


def test_right_credentials_lead_to_the_role_dashboard(client, coordinator):
    response = sign_in(client, "coordinator")
    assert response.status_code == 302
    assert response.url == reverse("home")
    response = client.get(response.url)
    assert response.url == reverse("reviews:agency_queue")
    assert client.get(response.url).status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in").exists()


def test_wrong_password_and_unknown_name_read_the_same(client, reviewer):
    wrong_password = sign_in(client, "reviewer", "not the password")
    unknown_name = sign_in(client, "nobody-by-this-name", "not the password")
    for response in (wrong_password, unknown_name):
        assert response.status_code == 200
        assert SESSION_KEY not in client.session
        assert response.context["form"].non_field_errors() == [SIGN_IN_REFUSED]
        assert 'role="alert"' in response.content.decode()
        assert 'name="password"' in response.content.decode()
    # Apart from the username echoed in its field, the CSRF token and the CSP nonce,
    # the pages match.
    assert without_variables(wrong_password, "reviewer") == without_variables(
        unknown_name, "nobody-by-this-name"
    )


def without_variables(response, username):
    html = response.content.decode().replace(f'value="{username}"', 'value="…"')
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r' nonce="[^"]+"', "", html)


def test_password_is_never_echoed_back(client, reviewer):
    response = sign_in(client, "reviewer", "my-secret-attempt-123")
    assert b"my-secret-attempt-123" not in response.content


def test_an_inactive_person_cannot_sign_in(client, caisi):
    make_person("leaver", unit=caisi, role="reviewer", is_active=False)
    response = sign_in(client, "leaver")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SIGN_IN_REFUSED]
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "https:evil.example", "/\\evil.example"],
)
def test_next_to_another_host_is_ignored(client, submitter, next_url):
    response = sign_in(client, "submitter", next=next_url)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_next_on_the_site_is_followed(client, operator):
    target = reverse("portal:token_list")
    page = client.get(reverse("login"), {"next": target})
    assert f'name="next" value="{target}"' in page.content.decode()
    response = sign_in(client, "operator", next=target)
    assert response.url == target


def test_foreign_next_is_not_even_put_in_the_form(client, db):
    page = client.get(reverse("login"), {"next": "https://evil.example/"})
    assert b"evil.example" not in page.content


def test_signed_in_person_visiting_sign_in_is_sent_on(client, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_session_key_rotates_at_sign_in(client, reviewer):
    session = client.session
    session["visited"] = "sign-in page"
    session.save()
    before = session.session_key
    sign_in(client, "reviewer")
    # The same session (its data kept) under a new key: a planted key is worthless.
    assert client.session["visited"] == "sign-in page"
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(reviewer.pk)


def test_sign_out_is_post_only_and_ends_the_session(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("reviews:my_cases")).status_code == 200  # still signed in

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert SESSION_KEY not in client.session
    after = client.get(reverse("reviews:my_cases"))
    assert after.status_code == 302 and after.url.startswith(reverse("login"))


def test_password_change_needs_sign_in(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.get(reverse("password_change_done")).status_code == 302


def change_password(client, new1, new2=None, old=PASSWORD):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_password_change_refuses_a_short_password_next_to_the_field(client, reviewer):
    client.force_login(reviewer)
    response = change_password(client, "Sh0rt-pass")
    assert response.status_code == 200
    html = response.content.decode()
    assert "at least 12 characters" in html
    assert '<span class="usa-error-message" id="id_new_password1_error" role="alert">' in html
    field = html[html.index('<input type="password" name="new_password1"') :].split(">")[0]
    assert 'class="usa-input usa-input--error"' in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_new_password1_helptext id_new_password1_error"' in field
    assert "usa-form-group--error" in html
    assert "usa-label--error" in html
    assert "id_new_password2_error" not in html  # the confirmation itself was fine
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_password_change_refuses_a_common_password(client, reviewer):
    client.force_login(reviewer)
    response = change_password(client, "password1234")
    assert response.status_code == 200
    assert response.context["form"].errors == {"new_password1": ["This password is too common."]}
    assert "This password is too common." in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_password_change_reports_a_mismatch_under_the_confirmation(client, reviewer):
    client.force_login(reviewer)
    response = change_password(client, "a-much-longer-new-secret", "a-different-new-secret")
    assert list(response.context["form"].errors) == ["new_password2"]
    assert 'id="id_new_password2_error" role="alert"' in response.content.decode()


def test_password_change_needs_the_old_password(client, reviewer):
    client.force_login(reviewer)
    response = change_password(client, "a-much-longer-new-secret", old="not-the-old-one")
    html = response.content.decode()
    assert 'id="id_old_password_error" role="alert"' in html
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_password_change_works_and_keeps_the_person_signed_in(client, reviewer):
    client.force_login(reviewer)
    response = change_password(client, "a-much-longer-new-secret")
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    reviewer.refresh_from_db()
    assert reviewer.check_password("a-much-longer-new-secret")
    assert reviewer.password.startswith("argon2")
    assert client.get(reverse("password_change_done")).status_code == 200
    assert client.get(reverse("reviews:my_cases")).status_code == 200

    client.post(reverse("logout"))
    assert sign_in(client, "reviewer").status_code == 200  # the old password no longer works
    assert sign_in(client, "reviewer", "a-much-longer-new-secret").status_code == 302
