"""Error pages that say what happened in general terms and nothing more.

None of them puts the exception's text, the requested path or any object in the
page: a 404 for "no such case" and for "not your case" must read the same, and a
PermissionDenied's message is for the log, not the person. Under ``/api/`` the
same answers are JSON (``portal.core.errors``).

A request that fails because the database is unreachable answers 503 with
``Retry-After``: the outage is the server's and passes; the page is rendered
without touching the database.
"""

import sys

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from portal.core.errors import RETRY_AFTER_SECONDS, api_error_json, database_unreachable, is_api


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api(request):
        return api_error_json("Bad request.", 400)
    # Standalone: a bad request may not have passed the middleware that sets request.user.
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api(request):
        return api_error_json("Not allowed.", 403)
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return api_error_json("Not found.", 404)
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # Django calls this while handling the exception, so it is still the current one.
    if database_unreachable(sys.exc_info()[1]):
        if is_api(request):
            response = api_error_json("The database is unreachable; try again shortly.", 503)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if is_api(request):
        return api_error_json("Something went wrong on the server.", 500)
    # Standalone and without context: whatever failed (the database, a context
    # processor) must not fail this page too.
    return HttpResponseServerError(loader.render_to_string("500.html"))
