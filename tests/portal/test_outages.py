"""Errors in the shape the client reads: JSON under /api/ (500 included), and a database
outage answered 503 with Retry-After, logged once a minute instead of once a request.

The module doubles as a URLconf: the portal's routes plus views that fail on purpose.
"""

import contextlib
import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import path, reverse
from django.views.decorators.http import require_POST

import portal.core.errors
from portal import urls as portal_urls
from portal.core.errors import DatabaseOutageLogFilter


@login_not_required
def crash(request):
    raise RuntimeError("database password is hunter2")


@login_not_required
@require_POST
def post_only(request):
    raise AssertionError("never reached by a GET")


urlpatterns = [
    path("api/boom/500", crash),
    path("api/boom/405", post_only),
    path("boom/500", crash),
    *portal_urls.urlpatterns,
]
handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

pytestmark = pytest.mark.urls(__name__)
UNREACHABLE = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@pytest.fixture
def browser(db):
    return Client(raise_request_exception=False)


@pytest.fixture
def outage_filter():
    """The one outage filter on django.request, fresh, with a clock the test moves.

    Settings install it (``LOGGING``); a test elsewhere that configures logging
    again may leave none or two behind, so the test puts exactly one in place
    and restores the logger's filters afterwards.
    """
    logger = logging.getLogger("django.request")
    kept = list(logger.filters)
    for existing in kept:
        if isinstance(existing, DatabaseOutageLogFilter):
            logger.removeFilter(existing)
    log_filter = DatabaseOutageLogFilter()
    logger.addFilter(log_filter)
    yield log_filter
    logger.filters[:] = kept


def test_settings_put_the_outage_filter_on_django_request():
    from django.conf import settings

    config = settings.LOGGING
    assert any(
        spec.get("()") == "portal.core.errors.DatabaseOutageLogFilter"
        for spec in config.get("filters", {}).values()
    )
    assert any(
        name == "django.request" and logger.get("filters")
        for name, logger in config.get("loggers", {}).items()
    )


@contextlib.contextmanager
def outage():
    """Every new cursor fails, as with PostgreSQL stopped."""

    def refuse(self, *args, **kwargs):
        raise OperationalError(UNREACHABLE)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", refuse)
        yield


@pytest.fixture
def database_down(db):
    """The outage for the whole test; undone before the test database is."""
    with outage():
        yield


def test_an_api_500_is_json_and_leaks_nothing(browser):
    response = browser.get("/api/boom/500")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Something went wrong on the server."}
    assert b"hunter2" not in response.content


def test_an_api_404_and_405_are_json(browser):
    response = browser.get("/api/v1/no-such-endpoint")
    assert (response.status_code, response.json()) == (404, {"error": "Not found."})
    response = browser.get("/api/boom/405")
    assert (response.status_code, response.json()) == (405, {"error": "Method Not Allowed"})
    assert response["Allow"] == "POST"


def test_pages_outside_the_api_keep_their_html_error_pages(browser):
    response = browser.get("/boom/500")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert response["Content-Type"].startswith("text/html")


def test_a_page_answers_503_with_retry_after_while_the_database_is_down(browser, submitter):
    browser.force_login(submitter)  # before the outage: the session is in the database
    with outage():
        response = browser.get(reverse("portal:case_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "briefly unavailable" in html
    assert "5432" not in html and "OperationalError" not in html


def test_the_api_answers_503_json_while_the_database_is_down(browser, database_down):
    response = browser.get("/api/v1/grants/", HTTP_AUTHORIZATION="Bearer frp_whatever")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"error": "The database is unreachable; try again shortly."}


def test_healthz_answers_503_while_the_database_is_down(browser, database_down):
    response = browser.get("/healthz")
    assert (response.status_code, response["Retry-After"]) == (503, "30")


def test_an_outage_logs_one_line_per_failure_type_per_minute(
    browser, database_down, outage_filter, caplog, monkeypatch
):
    clock = [1000.0]
    monkeypatch.setattr(portal.core.errors.time, "monotonic", lambda: clock[0])
    with caplog.at_level(logging.ERROR, logger="django.request"):
        for _ in range(5):
            assert browser.get("/healthz").status_code == 503
        clock[0] += 30
        assert browser.get("/healthz").status_code == 503
        lines = [r for r in caplog.records if r.name == "django.request"]
        assert len(lines) == 1
        assert lines[0].exc_info is None  # no traceback
        assert lines[0].getMessage().startswith("Database unreachable (OperationalError: ")

        clock[0] += 31  # a minute later: one more line, counting the ones held back
        assert browser.get("/healthz").status_code == 503
        lines = [r for r in caplog.records if r.name == "django.request"]
        assert len(lines) == 2
        assert "5 more like it in the last 60s" in lines[1].getMessage()


def test_each_failure_type_gets_its_own_line(outage_filter):
    def record(error):
        return logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Service Unavailable",
            (),
            (
                type(error),
                error,
                None,
            ),
        )

    assert outage_filter.filter(record(OperationalError("down")))
    assert outage_filter.filter(record(InterfaceError("connection already closed")))
    assert not outage_filter.filter(record(OperationalError("down")))
    # Other errors keep their tracebacks.
    other = record(RuntimeError("bug"))
    assert outage_filter.filter(other) and other.exc_info is not None
