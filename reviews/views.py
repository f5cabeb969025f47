from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.roles import Role, role_required


@require_GET
@role_required(Role.COORDINATOR)
def agency_queue(request):
    """The coordinator's dashboard: cases routed to the agency (the review issue fills it)."""
    return render(request, "reviews/agency_queue.html", {"agency": request.user.membership.unit})


@require_GET
@role_required(Role.REVIEWER)
def my_cases(request):
    """The reviewer's dashboard: the cases they are assigned to."""
    return render(request, "reviews/my_cases.html", {"agency": request.user.membership.unit})
