"""API routes of settlement, mounted under /api/v1/."""

from django.urls import path

from settlement import api

urlpatterns = [
    path("rounds/<int:pk>/settle/", api.RoundSettleView.as_view(), name="round-settle"),
    path("rounds/<int:pk>/result/", api.RoundResultView.as_view(), name="round-result"),
    path("rounds/<int:pk>/documents/", api.RoundDocumentsView.as_view(), name="round-documents"),
    path("rounds/<int:round_id>/in-kind/", api.InKindView.as_view(), name="round-in-kind"),
    path("cases/<int:pk>/outcome/", api.CaseOutcomeView.as_view(), name="case-outcome"),
]
