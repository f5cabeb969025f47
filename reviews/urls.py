from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("queue/", views.agency_queue, name="agency_queue"),
    path("mine/", views.my_cases, name="my_cases"),
]
