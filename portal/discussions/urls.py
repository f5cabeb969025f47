from django.urls import path

from portal.discussions import views

app_name = "discussions"
urlpatterns = [
    # Every thread the person reads, newest activity first (the header's link).
    path("", views.inbox, name="inbox"),
    # A case's threads and the form to start one.
    path("cases/<int:pk>/", views.case_threads, name="case_threads"),
    path("cases/<int:pk>/new", views.thread_start, name="thread_start"),
    # One thread: its messages, a reply, an attachment.
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply", views.message_post, name="message_post"),
    path(
        "threads/<int:pk>/attachments/<int:attachment_id>",
        views.attachment_download,
        name="attachment_download",
    ),
]
