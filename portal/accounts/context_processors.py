from django.urls import reverse

from portal.core.hooks import nav_links_for


def _is_current(path: str, url: str) -> bool:
    """A link is current on its own page and on the pages beneath it."""
    return path == url or (url.endswith("/") and url != "/" and path.startswith(url))


def navigation(request):
    """The header's links for the signed-in person's role, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    # Each app registers its pages' links (portal.core.hooks.nav_link).
    names = []
    for link in nav_links_for(user.role):
        count = link.badge(user) if link.badge is not None else 0
        names.append((f"{link.label} ({count})" if count else link.label, link.url_name))
    if user.is_staff:
        names.append(("Administration", "admin:index"))
    names.append(("Password", "password_change"))
    path = request.path
    links = []
    for label, name in names:
        url = reverse(name)
        links.append({"label": label, "url": url, "current": _is_current(path, url)})
    return {"nav_links": links}
