"""Page routes of the bank path (included by escrow/urls.py)."""

from django.urls import path

from escrow.bank import views

urlpatterns = [
    path("operator/bank/", views.operator_page, name="escrow-operator-bank"),
    path("operator/bank/instructions/<int:instruction_id>/pain001.xml", views.instruction_file, name="escrow-bank-instruction-file"),
    path("escrow/bank/balance/<int:payment_id>/", views.balance_page, name="escrow-bank-balance"),
    path("escrow/bank/sandbox/transfer/<str:reference>/", views.sandbox_transfer, name="escrow-bank-sandbox-transfer"),
]
