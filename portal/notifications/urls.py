from django.urls import path

from portal.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read", views.notifications_mark_read, name="notifications_read"),
    path("notifications/email", views.email_delivery, name="email_delivery"),
]
