"""API routes of escrow, mounted under /api/v1/."""

from django.urls import path

from escrow import api
from escrow.bank import api as bank_api

urlpatterns = [
    path("rounds/<int:round_id>/register/", api.RegisterView.as_view(), name="api-round-register"),
    path("rounds/<int:round_id>/pay-balance/", api.PayBalanceView.as_view(), name="api-round-pay-balance"),
    path("rounds/<int:round_id>/confirm-transfer/", api.ConfirmTransferView.as_view(), name="api-round-confirm-transfer"),
    path("registrations/", api.MyRegistrationsView.as_view(), name="api-my-registrations"),
    path("registrations/<int:pk>/", api.RegistrationDetailView.as_view(), name="api-registration"),
    path("registrations/<int:pk>/pay/", api.RegistrationPayView.as_view(), name="api-registration-pay"),
    path("registrations/<int:pk>/confirm/", api.RegistrationConfirmView.as_view(), name="api-registration-confirm"),
    path("balance-payments/<int:pk>/confirm/", api.BalanceConfirmView.as_view(), name="api-balance-confirm"),
    path("registrations/<int:pk>/group/accept/", api.GroupDecisionView.as_view(decision="accept"), name="api-group-accept"),
    path("registrations/<int:pk>/group/confirm/", api.GroupDecisionView.as_view(decision="confirm"), name="api-group-confirm"),
    path("registrations/<int:pk>/group/reject/", api.GroupDecisionView.as_view(decision="reject"), name="api-group-reject"),
    path("registrations/<int:pk>/recheck/", api.RegistrationRecheckView.as_view(), name="api-registration-recheck"),
    path("cases/<int:case_id>/account/", api.CaseAccountView.as_view(), name="api-case-account"),
    path("escrow/webhooks/stripe/", api.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("escrow/bank/statements/", bank_api.StatementPushView.as_view(), name="bank-statement-push"),
    path("escrow/bank/statements/upload/", bank_api.StatementUploadView.as_view(), name="bank-statement-upload"),
    path("escrow/bank/reconcile/", bank_api.ReconcileView.as_view(), name="bank-reconcile"),
    path("escrow/bank/entries/<int:entry_id>/suspense/", bank_api.SuspenseView.as_view(), name="bank-suspense"),
    path("testing/bank/transfer/", bank_api.SandboxTransferView.as_view(), name="bank-sandbox-transfer"),
]
