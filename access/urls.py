from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("granted/", views.granted_models, name="granted_models"),
]
