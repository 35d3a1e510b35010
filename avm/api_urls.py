"""API routes of avm, mounted under /api/v1/."""

from django.urls import path

from avm import api

urlpatterns = [
    path("avm/estimate/", api.EstimateView.as_view(), name="api-avm-estimate"),
]
