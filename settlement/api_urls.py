"""API routes of settlement, mounted under /api/v1/."""

from django.urls import path

from settlement import api, api_opendata, views_party

urlpatterns = [
    path("rounds/<int:pk>/settle/", api.RoundSettleView.as_view(), name="round-settle"),
    path("rounds/<int:pk>/result/", api.RoundResultView.as_view(), name="round-result"),
    path("rounds/<int:pk>/documents/", api.RoundDocumentsView.as_view(), name="round-documents"),
    path("rounds/<int:round_id>/in-kind/", api.InKindView.as_view(), name="round-in-kind"),
    path("cases/<int:pk>/outcome/", api.CaseOutcomeView.as_view(), name="case-outcome"),
    path("party/cases/<int:pk>/", views_party.PartyCaseView.as_view(), name="api-party-case"),
    path("statistics/", api_opendata.StatisticsView.as_view(), name="api-statistics"),
    path("statistics/<str:court>/", api_opendata.CourtStatisticsView.as_view(), name="api-court-statistics"),
    path("feed/rounds/", api_opendata.FeedRoundsView.as_view(), name="api-feed-rounds"),
    path("feed/rounds.csv", api_opendata.FeedRoundsCSVView.as_view(), name="api-feed-rounds-csv"),
]
