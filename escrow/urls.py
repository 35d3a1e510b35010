"""Page routes of escrow."""

from django.urls import include, path

from escrow import views

urlpatterns = [
    path("me/deposits/", views.my_deposits, name="escrow-my-deposits"),
    path("court/cases/<int:case_id>/account/", views.case_account, name="escrow-case-account"),
    path("court/groups/", views.court_groups, name="escrow-court-groups"),
    path("court/groups/<int:registration_id>/decide/", views.court_group_decide, name="escrow-court-group-decide"),
    path("court/groups/<int:registration_id>/power-of-attorney/", views.court_group_poa, name="escrow-court-group-poa"),
    path("escrow/groups/<int:registration_id>/accept/", views.accept_joint_bid, name="escrow-accept-joint-bid"),
    path("escrow/rounds/<int:round_id>/register/", views.register, name="escrow-register"),
    path("rounds/<int:round_id>/notice/", views.notice, name="escrow-notice"),
    path("escrow/rounds/<int:round_id>/pay-balance/", views.pay_balance, name="escrow-round-pay-balance"),
    path("escrow/sandbox/pay/<int:registration_id>/", views.pay, name="escrow-pay"),
    path("escrow/sandbox/pay-balance/<int:payment_id>/", views.pay_balance_page, name="escrow-pay-balance"),
    path("", include("escrow.bank.urls")),
]
