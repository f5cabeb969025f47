from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.roles import Role, role_required


@require_GET
@role_required(Role.SECURITY_TEAM)
def granted_models(request):
    """The operator's dashboard: models granted to their organization."""
    return render(
        request, "access/granted_models.html", {"organization": request.user.membership.unit}
    )
