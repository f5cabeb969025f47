from django.urls import path

from portal.capability import api, views

urlpatterns = [
    path("frontier/", views.frontier, name="frontier"),
    path("frontier.csv", views.frontier_csv, name="frontier_csv"),
    path("frontier/<slug:slug>/", views.frontier_benchmark, name="frontier_benchmark"),
]

# Outside the namespace: the frontier for scripts, with a bearer token.
api_urlpatterns = [
    path("api/v1/frontier/", api.frontier, name="api_frontier"),
]
