"""API routes of lots, mounted under /api/v1/ (see lots/api.py and docs/platform.md)."""

from django.urls import path

from lots import api, api_intake

urlpatterns = [
    path("cases/", api.CaseListView.as_view(), name="api-cases"),
    path("cases/<int:pk>/", api.CaseDetailView.as_view(), name="api-case"),
    path("intake/cases/", api_intake.CaseIntakeView.as_view(), name="api-intake-cases"),
    path("lots/", api.LotListView.as_view(), name="api-lots"),
    path("lots/<int:pk>/", api.LotDetailView.as_view(), name="api-lot"),
    path("lots/<int:pk>/rounds/", api.LotRoundsView.as_view(), name="api-lot-rounds"),
    path("lots/<int:pk>/media/", api.LotMediaView.as_view(), name="api-lot-media"),
    path("media/<int:pk>/complete/", api.MediaCompleteView.as_view(), name="api-media-complete"),
    path("media/<int:pk>/upload/", api.LocalUploadView.as_view(), name="media-local-upload"),
    path("media/<int:pk>/file/", api.LocalFileView.as_view(), name="media-local-file"),
    path("rounds/", api.RoundCatalogueView.as_view(), name="api-rounds"),
    path("rounds/<int:pk>/", api.RoundDetailView.as_view(), name="api-round"),
    path("rounds/<int:pk>/notify-parties/", api.RoundNotifyPartiesView.as_view(), name="api-round-notify-parties"),
    path("rounds/<int:pk>/publish/", api.RoundPublishView.as_view(), name="api-round-publish"),
    path("rounds/<int:pk>/suspend/", api.RoundSuspendView.as_view(), name="api-round-suspend"),
    path("rounds/<int:pk>/cause-ended/", api.RoundCauseEndedView.as_view(), name="api-round-cause-ended"),
    path("rounds/<int:pk>/resume/", api.RoundResumeView.as_view(), name="api-round-resume"),
    path("rounds/<int:pk>/withdraw/", api.RoundWithdrawView.as_view(), name="api-round-withdraw"),
]
