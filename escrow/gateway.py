"""Payment gateway abstraction: Stripe (real library) or the embedded sandbox (no network).

Both walk the same states: a payment starts `requires_payment_method`, becomes `succeeded` when the
payer pays, and refunds are separate objects. The ledger, not the provider, says who may bid; the
provider is asked for the truth whenever we act on it (webhooks and re-checks re-fetch the payment).
"""

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from auction_site import clock
from auction_site.errors import DomainError, ErrorCode


class GatewayError(DomainError):
    def __init__(self, message: str, code: str = ErrorCode.PAYMENT_PROVIDER_ERROR, status: int = 502):
        super().__init__(code, message, status=status)


class CardDeclined(DomainError):
    def __init__(self, message: str = "银行卡被拒绝 / the card was declined"):
        super().__init__(ErrorCode.CARD_DECLINED, message, status=402)


@dataclass
class Payment:
    id: str
    status: str  # requires_payment_method | requires_confirmation | processing | succeeded | canceled ...
    amount: int
    client_secret: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass
class Refund:
    id: str
    status: str  # succeeded | pending | failed | canceled
    amount: int
    payment_id: str
    metadata: dict = field(default_factory=dict)


def crash_hook(point: str) -> None:
    """Test hook: `ESCROW_CRASH_AFTER=<point>` kills the process right after that provider call.

    Used by the crash test (a management command run as a subprocess) to prove that reconciliation
    sees the gap and the retry closes it. Never set in production.
    """
    if os.environ.get("ESCROW_CRASH_AFTER") == point and settings.CLOCK_ADVANCE_ALLOWED:
        os._exit(17)


def _meta(m) -> dict:
    if not m:
        return {}
    return m.to_dict() if hasattr(m, "to_dict") else dict(m)


class StripeGateway:
    name = "stripe"

    def __init__(self) -> None:
        stripe.api_key = settings.STRIPE_SECRET_KEY
        if settings.STRIPE_API_BASE:
            stripe.api_base = settings.STRIPE_API_BASE
        stripe.max_network_retries = 2

    @staticmethod
    def _payment(pi) -> Payment:
        return Payment(id=pi.id, status=pi.status, amount=int(pi.amount), client_secret=pi.client_secret or "",
                       metadata=_meta(pi.metadata))

    @staticmethod
    def _refund(r) -> Refund:
        pi = r.payment_intent
        pi_id = pi if isinstance(pi, str) or pi is None else pi.id
        return Refund(id=r.id, status=r.status, amount=int(r.amount), payment_id=pi_id or "", metadata=_meta(r.metadata))

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as e:
            raise CardDeclined(f"银行卡被拒绝 / the card was declined: {e.user_message or e}")
        except stripe.StripeError as e:
            raise GatewayError(f"支付机构暂时不可用 / payment provider error: {e.user_message or e}")

    def create_payment(self, amount: int, *, idempotency_key: str, metadata: dict, description: str = "") -> Payment:
        # Charged, not a manual-capture hold: announcements outlast card holds (ARCHITECTURE.md, Deposits).
        pi = self._call(stripe.PaymentIntent.create, amount=amount, currency=settings.PAYMENT_CURRENCY,
                        payment_method_types=["card"], metadata=metadata, idempotency_key=idempotency_key)
        return self._payment(pi)

    def retrieve_payment(self, payment_id: str) -> Payment:
        return self._payment(self._call(stripe.PaymentIntent.retrieve, payment_id))

    def confirm_with_card(self, payment_id: str, card: dict) -> Payment:
        """Test/demo mode only: the server confirms with raw test card data (localstripe has no pm_card_* tokens)."""
        pm = self._call(stripe.PaymentMethod.create, type="card", card=card)
        self._call(stripe.PaymentIntent.modify, payment_id, payment_method=pm.id)
        pi = self._call(stripe.PaymentIntent.confirm, payment_id)
        crash_hook("confirm")
        return self._payment(pi)

    def cancel_payment(self, payment_id: str) -> Payment:
        return self._payment(self._call(stripe.PaymentIntent.cancel, payment_id))

    def refund(self, payment_id: str, amount: int, *, idempotency_key: str, metadata: dict) -> Refund:
        r = self._call(stripe.Refund.create, payment_intent=payment_id, amount=amount, metadata=metadata,
                       idempotency_key=idempotency_key)
        crash_hook("refund")
        return self._refund(r)

    def list_refunds(self, payment_id: str) -> list[Refund]:
        return [self._refund(r) for r in self._call(stripe.Refund.list, payment_intent=payment_id, limit=100).auto_paging_iter()]

    def all_payments(self) -> Iterator[Payment]:
        for pi in self._call(stripe.PaymentIntent.list, limit=100).auto_paging_iter():
            yield self._payment(pi)

    def all_refunds(self) -> Iterator[Refund]:
        for r in self._call(stripe.Refund.list, limit=100).auto_paging_iter():
            yield self._refund(r)


class SandboxGateway:
    """The embedded provider: same states as Stripe, kept in our own tables, no network."""

    name = "sandbox"

    @staticmethod
    def _payment(p) -> Payment:
        return Payment(id=p.id, status=p.status, amount=p.amount, client_secret=p.client_secret, metadata=dict(p.metadata))

    @staticmethod
    def _refund(r) -> Refund:
        return Refund(id=r.id, status=r.status, amount=r.amount, payment_id=r.payment_id, metadata=dict(r.metadata))

    def create_payment(self, amount: int, *, idempotency_key: str, metadata: dict, description: str = "") -> Payment:
        from escrow.models import SandboxPayment

        existing = SandboxPayment.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return self._payment(existing)
        pid = "pi_sbx_" + secrets.token_hex(8)
        try:
            with transaction.atomic():
                p = SandboxPayment.objects.create(id=pid, amount=amount, currency=settings.PAYMENT_CURRENCY, metadata=metadata,
                                                  idempotency_key=idempotency_key, client_secret=f"{pid}_secret_{secrets.token_hex(8)}",
                                                  created_at=clock.now())
        except IntegrityError:
            p = SandboxPayment.objects.get(idempotency_key=idempotency_key)
        return self._payment(p)

    def _get(self, payment_id: str):
        from escrow.models import SandboxPayment

        p = SandboxPayment.objects.filter(pk=payment_id).first()
        if p is None:
            raise GatewayError("支付记录不存在 / no such payment", code=ErrorCode.PAYMENT_NOT_FOUND, status=404)
        return p

    def retrieve_payment(self, payment_id: str) -> Payment:
        return self._payment(self._get(payment_id))

    def pay(self, payment_id: str, *, decline: bool = False) -> Payment:
        """What the payer's click on the sandbox page does."""
        from escrow.models import SandboxPayment

        with transaction.atomic():
            p = SandboxPayment.objects.select_for_update(of=("self",)).get(pk=self._get(payment_id).pk)
            if p.status == "requires_payment_method" and not decline:
                p.status = "succeeded"
                p.save(update_fields=["status"])
        if decline:
            raise CardDeclined()
        crash_hook("confirm")
        return self._payment(p)

    def confirm_with_card(self, payment_id: str, card: dict) -> Payment:
        # Stripe's test numbers: 4000 0000 0000 0002 / …0341 are declined; anything else pays.
        number = str(card.get("number", "")).replace(" ", "")
        return self.pay(payment_id, decline=number in {"4000000000000002", "4000000000000341"})

    def cancel_payment(self, payment_id: str) -> Payment:
        from escrow.models import SandboxPayment

        with transaction.atomic():
            p = SandboxPayment.objects.select_for_update(of=("self",)).get(pk=self._get(payment_id).pk)
            if p.status == "succeeded":
                raise GatewayError("已支付的款项不能取消 / a paid payment cannot be cancelled", code=ErrorCode.CANNOT_CANCEL, status=409)
            p.status = "canceled"
            p.save(update_fields=["status"])
        return self._payment(p)

    def refund(self, payment_id: str, amount: int, *, idempotency_key: str, metadata: dict) -> Refund:
        from escrow.models import SandboxRefund

        existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing:
            return self._refund(existing)
        p = self._get(payment_id)
        if p.status != "succeeded":
            raise GatewayError("未支付的款项不能退款 / cannot refund an unpaid payment", code=ErrorCode.CANNOT_REFUND, status=409)
        r = SandboxRefund.objects.create(id="re_sbx_" + secrets.token_hex(8), payment=p, amount=amount, metadata=metadata,
                                         idempotency_key=idempotency_key, created_at=clock.now())
        crash_hook("refund")
        return self._refund(r)

    def list_refunds(self, payment_id: str) -> list[Refund]:
        from escrow.models import SandboxRefund

        return [self._refund(r) for r in SandboxRefund.objects.filter(payment_id=payment_id)]

    def all_payments(self) -> Iterator[Payment]:
        from escrow.models import SandboxPayment

        for p in SandboxPayment.objects.order_by("created_at"):
            yield self._payment(p)

    def all_refunds(self) -> Iterator[Refund]:
        from escrow.models import SandboxRefund

        for r in SandboxRefund.objects.order_by("created_at"):
            yield self._refund(r)


_GATEWAYS = {"stripe": StripeGateway, "sandbox": SandboxGateway}


def get_gateway(name: str | None = None):
    """The configured provider (settings.PAYMENT_PROVIDER), or the one a stored payment was made with."""
    name = name or settings.PAYMENT_PROVIDER
    try:
        return _GATEWAYS[name]()
    except KeyError:
        raise GatewayError(f"未知的支付机构 {name} / unknown payment provider", code=ErrorCode.UNKNOWN_PROVIDER, status=500)
