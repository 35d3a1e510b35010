"""Page routes of bidding."""

from django.urls import path

from bidding import views

urlpatterns: list = [
    path("rounds/<int:round_id>/live/", views.live, name="bidding-live"),
    path("rounds/<int:round_id>/live/outcome/", views.outcome, name="bidding-outcome"),
]
