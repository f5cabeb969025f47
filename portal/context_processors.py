from django.urls import reverse

from portal.roles import NAVIGATION_FOR_ROLE


def navigation(request):
    """The header's links for the signed-in person's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = [(label, reverse(name)) for label, name in NAVIGATION_FOR_ROLE.get(user.role, [])]
    if user.is_staff:
        links.append(("Administration", reverse("admin:index")))
    return {"nav_links": links}
