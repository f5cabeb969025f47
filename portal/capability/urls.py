from django.urls import path

from portal.capability import api, views, views_routing

urlpatterns = [
    path("frontier/", views.frontier, name="frontier"),
    path("frontier.csv", views.frontier_csv, name="frontier_csv"),
    path("frontier/<slug:slug>/", views.frontier_benchmark, name="frontier_benchmark"),
    path(
        "frontier/cases/<int:pk>/ask-routing/",
        views_routing.routing_request,
        name="frontier_routing_request",
    ),
    path(
        "routing-requests/<int:request_id>/answer/",
        views_routing.routing_request_answer,
        name="routing_request_answer",
    ),
]

# Outside the namespace: the frontier for scripts, with a bearer token.
api_urlpatterns = [
    path("api/v1/frontier/", api.frontier, name="api_frontier"),
]
