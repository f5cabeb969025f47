"""The layout's ``{% static %}``: Django's addresses, worked out once per storage setting."""

from django.template import engines
from django.templatetags.static import static
from django.test import override_settings

LAYOUT_TAG = engines["django"].from_string(
    "{% load cached_static %}{% static 'portal/portal.css' %}"
)


def test_the_address_is_djangos():
    assert LAYOUT_TAG.render({}) == static("portal/portal.css")


def test_a_changed_static_url_is_seen():
    LAYOUT_TAG.render({})
    with override_settings(STATIC_URL="/assets/"):
        assert LAYOUT_TAG.render({}) == "/assets/portal/portal.css"
    assert LAYOUT_TAG.render({}) == static("portal/portal.css")
