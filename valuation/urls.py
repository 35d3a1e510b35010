"""Page routes of valuation."""

from django.urls import path

from valuation import views, views_public

app_name = "valuation"

urlpatterns = [
    path("valuer/", views.valuer_inbox, name="valuer-inbox"),
    path("valuer/inquiries/<int:pk>/", views.valuer_inquiry, name="valuer-inquiry"),
    path("valuer/inquiries/<int:pk>/answer/", views.valuer_answer, name="valuer-answer"),
    path("valuer/inquiries/<int:pk>/extension/", views.valuer_extension, name="valuer-extension"),
    path("court/lots/<int:lot_id>/valuation/", views.court_lot_valuation, name="court-lot"),
    path("court/valuations/<int:pk>/", views.court_valuation, name="court-valuation"),
    path("court/objections/<int:pk>/decide/", views.court_decide, name="court-decide"),
    path("court/inquiries/<int:pk>/correction/", views.court_correction, name="court-correction"),
    path("valuations/<int:pk>/lottery/", views_public.lottery_replay, name="lottery-replay"),
    path("valuers/record/", views_public.valuer_record, name="valuer-record"),
    path("party/", views.party_home, name="party"),
    path("party/valuations/<int:pk>/offer/", views.party_offer, name="party-offer"),
    path("party/valuations/<int:pk>/objection/", views.party_objection, name="party-objection"),
]
