from django.urls import path

from portal.capability import views

urlpatterns = [
    path("frontier/", views.frontier, name="frontier"),
    path("frontier.csv", views.frontier_csv, name="frontier_csv"),
    path("frontier/<slug:slug>/", views.frontier_benchmark, name="frontier_benchmark"),
]
