"""``{% static %}`` with each address worked out once per process: the layout's.

Every page's layout names the same dozen static files; Django's tag asks the
storage each time (with the manifest storage: a lookup of the hashed name and
a URL join). The addresses only change with the storage's settings, and the
cache is cleared when a test changes them.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static as static_url

register = template.Library()


@lru_cache(maxsize=512)
def _static(path: str) -> str:
    return static_url(path)


@register.simple_tag
def static(path: str) -> str:
    """The static file's address, as ``{% static %}`` gives it."""
    return _static(path)


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting in ("STATIC_URL", "STORAGES", "STATIC_ROOT", "FORCE_SCRIPT_NAME"):
        _static.cache_clear()
