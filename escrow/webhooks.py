"""Provider webhooks: a verified event names a payment; we re-fetch its real state and act once per event id."""

from django.db import transaction

from auction_site.errors import DomainError, ErrorCode
from escrow import balances, services
from escrow.models import BalancePayment, Deposit, ProcessedEvent


def handle_provider_event(event: dict) -> str:
    """A verified provider event: find our object, re-fetch the real state, act once per event id."""
    event_id = event.get("id") or ""
    if not event_id:
        raise DomainError(ErrorCode.INVALID_EVENT, "事件缺少id / event without id")
    if ProcessedEvent.objects.filter(event_id=event_id).exists():
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") == "payment_intent":
        pi_id = obj.get("id")
    else:
        pi_id = obj.get("payment_intent")
        if isinstance(pi_id, dict):
            pi_id = pi_id.get("id")
    deposit = Deposit.objects.filter(payment_intent_id=pi_id).first() if pi_id else None
    if deposit is not None:
        return services.sync_deposit(None, deposit=deposit, event=event)
    bp = BalancePayment.objects.filter(payment_intent_id=pi_id).first() if pi_id else None
    if bp is not None:
        return balances.sync_balance_payment(None, bp=bp, event=event)
    with transaction.atomic():
        services.mark_event(event, pi_id or "")
    return "ignored"
