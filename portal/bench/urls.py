"""The portal's URLs plus the bench's trivial view, for the page measurements only.

The trivial view is what every page costs before it does any work of its own:
the whole middleware stack for a signed-in person (session, two-step check,
CSP nonce, audit context) and the portal's layout with its navigation, around
an empty page. It is never served outside ``make bench``.
"""

from django.shortcuts import render
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def trivial(request):
    return render(request, "bench/trivial.html")


urlpatterns = [path("bench/trivial", trivial, name="bench_trivial"), *portal_urlpatterns]
