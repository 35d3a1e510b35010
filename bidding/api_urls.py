"""API routes of bidding, mounted under /api/v1/."""

from django.urls import path

from bidding import api

urlpatterns: list = [
    path("rounds/<int:round_id>/bids/", api.RoundBidsView.as_view(), name="round-bids"),
    path("rounds/<int:round_id>/live/", api.RoundLiveView.as_view(), name="round-live"),
    path("rounds/<int:round_id>/proxy/", api.ProxyView.as_view(), name="round-proxy"),
]
