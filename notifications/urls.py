from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.inbox, name="inbox"),
    path("me/notifications/read/", views.mark_read, name="read"),
    path("me/notifications/settings/", views.preferences, name="preferences"),
]
