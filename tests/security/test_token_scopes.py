"""Token scopes and expiry on every API view (docs/security.md, "Token scopes").

Each view needing a scope answers a token carrying it, and 403 with a JSON
error naming the scope to a token of the same person without it. An expired
token gets 401 everywhere. A browser session is not scope-limited.
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from portal.accounts.api import missing_scope, token_scope
from portal.accounts.models import AccessToken
from tests.security.routes import KWARGS
from tests.security.world import world  # noqa: F401  (the module's world)

pytestmark = pytest.mark.django_db

# view name, method, the person whose token it is, the scope, the answer with it
ENDPOINTS = [
    ("api_grants", "get", "operator", "grants:read", 200),
    ("api_download", "get", "operator", "grants:read", 200),
    ("api_sha256sums", "get", "operator", "grants:read", 200),
    ("api_artifact_put", "put", "submitter", "cases:upload", 201),
]


def call(world, name, method, raw):  # noqa: F811
    client = Client()
    url = reverse(name, kwargs=KWARGS[name](world) if name in KWARGS else None)
    if name == "api_artifact_put":
        url = reverse(name, kwargs={"pk": world.draft.pk, "name": "scoped.md"}) + "?kind=other"
    return getattr(client, method)(
        url,
        data=b"# scoped upload" if method == "put" else None,
        content_type="application/octet-stream",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )


def token_of(world, persona, scopes):  # noqa: F811
    token, raw = AccessToken.create_for(world.people[persona], name="scope test", days=1)
    AccessToken.objects.filter(pk=token.pk).update(scopes=scopes)
    return raw


@pytest.mark.parametrize(("name", "method", "persona", "scope", "ok"), ENDPOINTS)
def test_a_token_with_the_scope_is_answered(world, name, method, persona, scope, ok):  # noqa: F811
    response = call(world, name, method, token_of(world, persona, [scope]))

    assert response.status_code == ok, response.content


@pytest.mark.parametrize(("name", "method", "persona", "scope", "ok"), ENDPOINTS)
def test_a_token_without_the_scope_gets_403_naming_it(world, name, method, persona, scope, ok):  # noqa: F811
    others = [s for s in ("grants:read", "cases:upload", "frontier:read") if s != scope]

    response = call(world, name, method, token_of(world, persona, others))

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["required_scope"] == scope
    assert scope in body["error"]
    assert f'scope="{scope}"' in response["WWW-Authenticate"]


@pytest.mark.parametrize(("name", "method", "persona", "scope", "ok"), ENDPOINTS)
def test_another_roles_default_token_gets_403(world, name, method, persona, scope, ok):  # noqa: F811
    other = "submitter" if persona == "operator" else "operator"

    response = call(world, name, method, world.tokens[other])

    assert response.status_code == 403
    assert response.json()["required_scope"] == scope


@pytest.mark.parametrize(("name", "method", "persona", "scope", "ok"), ENDPOINTS)
def test_an_expired_token_gets_401(world, name, method, persona, scope, ok):  # noqa: F811
    token, raw = AccessToken.create_for(world.people[persona], name="old", days=1)
    AccessToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )

    response = call(world, name, method, raw)

    assert response.status_code == 401
    assert response.json() == {"error": "The token is expired."}


def test_me_needs_no_scope_and_lists_the_tokens_scopes(world):  # noqa: F811
    response = Client().get(
        reverse("api_me"), HTTP_AUTHORIZATION=f"Bearer {token_of(world, 'operator', [])}"
    )

    assert response.status_code == 200
    assert response.json()["token"]["scopes"] == []


def test_a_browser_session_is_not_scope_limited():
    request = RequestFactory().get("/api/v1/frontier/")
    assert missing_scope(request, "frontier:read") is None

    @token_scope("frontier:read")
    def view(request):
        return "answered"

    assert view(request) == "answered"


def test_an_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError, match="No such token scope"):
        token_scope("frontier:write")
