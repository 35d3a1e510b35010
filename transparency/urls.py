from django.urls import path

from transparency import views

urlpatterns = [
    path("rounds/<int:round_id>/verify/", views.verify_round, name="verify-round"),
    path("transparency/", views.anchors, name="transparency"),
]
