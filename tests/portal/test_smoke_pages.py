import pytest
from django.urls import reverse

DASHBOARDS = {
    "coordinator": "reviews:agency_queue",
    "reviewer": "reviews:my_cases",
    "submitter": "portal:case_list",
    "operator": "access:granted_models",
    "admin": "admin:index",
}


@pytest.mark.parametrize("persona", sorted(DASHBOARDS))
def test_home_sends_each_role_to_its_dashboard(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(DASHBOARDS[persona])
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize("url_name", sorted(set(DASHBOARDS.values()) - {"admin:index"}))
def test_dashboards_refuse_every_other_role(client, personas, url_name):
    owner = next(p for p, name in DASHBOARDS.items() if name == url_name)
    for persona, user in personas.items():
        if persona == owner:
            continue
        client.force_login(user)
        response = client.get(reverse(url_name))
        assert response.status_code == 403, (persona, url_name)
        assert b"for another role" in response.content


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("portal:case_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
