"""API routes of valuation, mounted under /api/v1/ (docs/valuation.md)."""

from django.urls import path

from valuation import api, api_lottery

urlpatterns = [
    path("lots/<int:pk>/valuations/", api.LotValuationsView.as_view(), name="api-lot-valuations"),
    path("valuations/<int:pk>/", api.ValuationDetailView.as_view(), name="api-valuation"),
    path("valuations/<int:pk>/offers/", api.OfferView.as_view(), name="api-valuation-offers"),
    path("valuations/<int:pk>/objections/", api.ObjectionView.as_view(), name="api-valuation-objections"),
    path("valuations/<int:pk>/lottery/", api.LotteryReplayView.as_view(), name="api-valuation-lottery"),
    path("valuations/<int:pk>/lottery/commit/", api_lottery.LotteryCommitView.as_view(), name="api-valuation-lottery-commit"),
    path("valuations/<int:pk>/lottery/reveal/", api_lottery.LotteryRevealView.as_view(), name="api-valuation-lottery-reveal"),
    path("valuations/<int:pk>/lottery/draw/", api_lottery.LotteryDrawView.as_view(), name="api-valuation-lottery-draw"),
    path("valuers/record/", api_lottery.ValuerRecordView.as_view(), name="api-valuer-record"),
    path("objections/<int:pk>/decide/", api.ObjectionDecideView.as_view(), name="api-objection-decide"),
    path("inquiries/<int:pk>/correction/", api.CorrectionView.as_view(), name="api-inquiry-correction"),
    path("valuer/inquiries/", api.ValuerInquiriesView.as_view(), name="api-valuer-inquiries"),
    path("valuer/inquiries/<int:pk>/", api.ValuerInquiryView.as_view(), name="api-valuer-inquiry"),
    path("valuer/inquiries/<int:pk>/quote/", api.QuoteView.as_view(), name="api-valuer-quote"),
    path("valuer/inquiries/<int:pk>/report/", api.ReportUploadView.as_view(), name="api-valuer-report"),
    path("valuer/inquiries/<int:pk>/extension/", api.ExtensionView.as_view(), name="api-valuer-extension"),
]
