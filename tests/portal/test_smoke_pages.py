import pytest
from django.urls import reverse

DASHBOARDS = {
    "coordinator": "reviews:agency_queue",
    "reviewer": "reviews:my_cases",
    "submitter": "portal:case_list",
    "operator": "access:granted_models",
    "admin": "admin:index",
}
ROLE_PAGES = sorted(set(DASHBOARDS.values()) - {"admin:index"})


@pytest.mark.parametrize("persona", sorted(DASHBOARDS))
def test_home_sends_each_role_to_its_dashboard(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(DASHBOARDS[persona])
    assert client.get(response.url).status_code == 200


def test_org_admin_shares_the_developer_dashboard(client, org_admin):
    client.force_login(org_admin)
    response = client.get(reverse("home"))
    assert response.url == reverse("portal:case_list")
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Cases of Northwind Labs" in page.content.decode()


@pytest.mark.parametrize("url_name", ROLE_PAGES)
def test_dashboards_refuse_every_other_role(client, personas, url_name):
    owner = next(p for p, name in DASHBOARDS.items() if name == url_name)
    for persona, user in personas.items():
        if persona == owner:
            continue
        client.force_login(user)
        response = client.get(reverse(url_name))
        assert response.status_code == 403, (persona, url_name)
        assert b"for another role" in response.content


@pytest.mark.parametrize("url_name", [*ROLE_PAGES, "home", "portal:token_list", "password_change"])
def test_anonymous_is_sent_to_sign_in(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse(url_name)}"


@pytest.mark.parametrize("url_name", ROLE_PAGES)
def test_dashboards_answer_get_only(client, personas, url_name):
    owner = next(p for p, name in DASHBOARDS.items() if name == url_name)
    client.force_login(personas[owner])
    assert client.post(reverse(url_name)).status_code == 405


def test_dashboards_show_the_persons_own_unit(client, personas):
    expected = {
        "coordinator": "CAISI queue",
        "submitter": "Cases of Northwind Labs",
        "operator": "Models granted to First Harbor Bank",
    }
    for persona, heading in expected.items():
        client.force_login(personas[persona])
        response = client.get(reverse(DASHBOARDS[persona]))
        assert heading in response.content.decode()


def test_a_person_without_a_membership_sees_the_no_role_page(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "portal/no_role.html"
    assert "Your account has no role yet" in response.content.decode()


def test_healthz_answers_without_sign_in(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
