from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from portal.core.hooks import HOME_FOR_ROLE


@require_GET
def home(request):
    """Send each person to their role's dashboard."""
    destination = HOME_FOR_ROLE.get(request.user.role) if request.user.role else None
    if destination:
        return redirect(destination)
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "portal/no_role.html", status=200)


@require_GET
@login_not_required
def healthz(request):
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # Raw SQL is safe: a fixed statement, no input.
    return HttpResponse("ok", content_type="text/plain")
