"""Error pages that say what happened in general terms and nothing more.

None of them puts the exception's text, the requested path or any object in the
page: a 404 for "no such case" and for "not your case" must read the same, and a
PermissionDenied's message is for the log, not the person.
"""

from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request, exception=None):
    # Standalone: a bad request may not have passed the middleware that sets request.user.
    return HttpResponseBadRequest(loader.render_to_string("400.html"))


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # Standalone and without context: whatever failed (the database, a context
    # processor) must not fail this page too.
    return HttpResponseServerError(loader.render_to_string("500.html"))
