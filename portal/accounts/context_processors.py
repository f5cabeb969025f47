from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from portal.accounts.sessions import cached_many
from portal.core.hooks import nav_links_for


def _is_current(path: str, url: str) -> bool:
    """A link is current on its own page and on the pages beneath it."""
    return path == url or (url.endswith("/") and url != "/" and path.startswith(url))


@lru_cache(maxsize=256)
def _link_url(urlconf: str, script_prefix: str, url_name: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def link_url(url_name: str) -> str:
    """``reverse(url_name)`` for a link without arguments, once per URLconf and prefix.

    The header links the same few pages on every request; their addresses only
    change with the URLconf or the script prefix, which are part of the key.
    """
    return _link_url(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), url_name)


def _badge_counts(request, user, links) -> list[int]:
    """Each link's badge count: the cached ones in one round trip (the session's, with
    Redis: ``portal.accounts.sessions``), the others counted."""
    keys = {link: link.badge_cache_key(user.pk) for link in links if link.badge_cache_key}
    cached = cached_many(request, keys.values()) if keys else {}
    counts = []
    for link in links:
        count = cached.get(keys[link]) if link in keys else None
        if count is None:
            count = link.badge(user) if link.badge is not None else 0
        counts.append(count)
    return counts


def navigation(request):
    """The header's links for the signed-in person's role, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    # Each app registers its pages' links (portal.core.hooks.nav_link).
    links = nav_links_for(user.role)
    names = [
        (f"{link.label} ({count})" if count else link.label, link.url_name)
        for link, count in zip(links, _badge_counts(request, user, links), strict=True)
    ]
    if user.is_staff:
        names.append(("Administration", "admin:index"))
    names.append(("Password", "password_change"))
    path = request.path
    nav_links = []
    for label, name in names:
        url = link_url(name)
        nav_links.append({"label": label, "url": url, "current": _is_current(path, url)})
    return {"nav_links": nav_links}
