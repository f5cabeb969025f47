"""Error pages say what happened in general terms: never the exception, path or object.

The module doubles as a URLconf: the portal's own routes plus a few views that
fail on purpose, with the portal's own error handlers.
"""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import path

from portal import urls as portal_urls
from portal.core import views as errors


def refuse(request):
    raise PermissionDenied("secret detail")


def hide(request):
    raise Http404("No case matches FMR-2026-0042 (Project Nightjar)")


def crash(request):
    raise RuntimeError("database password is hunter2")


def reject(request):
    raise SuspiciousOperation("header smuggling from 203.0.113.9")


urlpatterns = [
    path("boom/403", refuse),
    path("boom/404", hide),
    path("boom/500", crash),
    path("boom/400", reject),
    *portal_urls.urlpatterns,
]
handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

pytestmark = pytest.mark.urls(__name__)


def test_the_portal_names_its_own_handlers():
    assert portal_urls.handler400 == "portal.core.views.bad_request"
    assert portal_urls.handler403 == "portal.core.views.permission_denied"
    assert portal_urls.handler404 == "portal.core.views.page_not_found"
    assert portal_urls.handler500 == "portal.core.views.server_error"


def test_permission_denied_shows_fixed_text_not_its_message(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/boom/403")
    assert response.status_code == 403
    html = response.content.decode()
    assert "secret detail" not in html
    assert "You can’t do that here" in html
    assert [t.name for t in response.templates][0] == "403.html"


def test_role_refusal_uses_the_same_page(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/cases/")
    assert response.status_code == 403
    assert "This page is for another role." not in response.content.decode()  # the raise's text
    assert "You can’t do that here" in response.content.decode()


def test_not_found_names_neither_the_object_nor_the_exception(client, submitter):
    assert settings.DEBUG is False
    client.force_login(submitter)
    response = client.get("/boom/404")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    for leak in ("FMR-2026-0042", "Nightjar", "No case matches", "boom"):
        assert leak not in html


def test_not_found_does_not_echo_the_path(client, submitter):
    client.force_login(submitter)
    response = client.get("/cases/FMR-2026-0042-project-nightjar/")
    assert response.status_code == 404
    assert "nightjar" not in response.content.decode().lower()
    assert "Page not found" in response.content.decode()


def test_not_found_for_anonymous_visitors_is_the_same_page(client, db):
    response = client.get("/no-such-place/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "no-such-place" not in response.content.decode()


def test_server_error_leaks_no_exception_text(client, submitter):
    client.force_login(submitter)
    client.raise_request_exception = False
    response = client.get("/boom/500")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "hunter2" not in html and "RuntimeError" not in html


def test_bad_request_leaks_no_exception_text(client, submitter):
    client.force_login(submitter)
    response = client.get("/boom/400")
    assert response.status_code == 400
    html = response.content.decode()
    assert "could not understand" in html
    assert "203.0.113.9" not in html and "smuggling" not in html


def test_500_page_renders_standalone_without_the_database(rf):
    # No db fixture: pytest-django fails any query, as a broken database would.
    request = rf.get("/anything")  # no user, no session: the middleware may not have run
    response = errors.server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_500_template_renders_with_an_empty_context():
    html = render_to_string("500.html", {})
    assert "Something went wrong" in html
    assert "/static/uswds/css/uswds.min.css" in html
