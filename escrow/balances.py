"""The buyer's balance (A25), bank transfers of it, and the default when it is not paid (A24).

Locks and providers as in escrow/services.py: only escrow's own rows and the round row (through
lots.rounds, the round's owner), in the order round → registration → deposit → balance payment →
ledger accounts; provider calls before or after the transactions, never inside them. The round's
status moves (sold → paid, sold → defaulted) go through lots.rounds.change_status.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from escrow import ledger, rules
from escrow.gateway import Payment, get_gateway
from escrow.models import BalancePayment, Deposit, Registration
from escrow.services import apply_winner_deposit, lock_deposit, lock_registration, mark_event
from lots import rounds
from lots.access import ensure_judge_of
from lots.models import Round
from notifications import kinds
from notifications.services import notify

logger = logging.getLogger("escrow.balances")

RegStatus = Registration.Status


def winner_deposit_amount(rnd: Round) -> int:
    d = Deposit.objects.filter(registration_id=rnd.leader_id).first() if rnd.leader_id else None
    return d.amount if d else 0


def balance_paid(rnd: Round) -> int:
    return BalancePayment.objects.filter(round=rnd, status=BalancePayment.Status.PAID).aggregate(s=Sum("amount"))["s"] or 0


def balance_remaining(rnd: Round) -> int:
    if rnd.sold_price is None:
        return 0
    return max(rules.balance_due(rnd.sold_price, winner_deposit_amount(rnd)) - balance_paid(rnd), 0)


def _check_paid_in_full(rnd: Round, actor=None) -> bool:
    """Inside the caller's transaction with the round locked: sold → paid when the price is covered (A25)."""
    if rnd.status != Round.Status.SOLD or balance_remaining(rnd) > 0:
        return False
    rounds.change_status(rnd, Round.Status.PAID, actor=actor, data={
        "sold_price": rnd.sold_price, "deposit": winner_deposit_amount(rnd), "balance": balance_paid(rnd)})
    return True


def mark_paid_if_covered(round_id: int, actor=None) -> bool:
    """A sold round whose price is already covered (a sell-off bought with the full price held, A26/A37:
    the buyer's balance is zero once the held money counts toward the price) becomes paid."""
    with transaction.atomic():
        rnd = rounds.lock(round_id)
        return _check_paid_in_full(rnd, actor=actor)


def _winner_round(user, round_id: int) -> Round:
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    winner = Registration.objects.filter(pk=rnd.leader_id).values_list("bidder_id", flat=True).first() if rnd.leader_id else None
    if winner is None or winner != user.pk:
        raise Forbidden("只有买受人可以支付尾款 / only the buyer pays the balance", code=ErrorCode.NOT_WINNER)
    if rnd.status == Round.Status.PAID:
        raise Conflict(ErrorCode.ALREADY_PAID, "尾款已付清 / the balance is already paid")
    if rnd.status != Round.Status.SOLD:
        raise Conflict(ErrorCode.NOT_SOLD, f"该拍卖状态为 {rnd.status}，不能支付尾款 / the round is not awaiting the balance")
    return rnd


def _winner(rnd: Round) -> Registration:
    return Registration.objects.get(pk=rnd.leader_id)


def start_balance_payment(user, /, *, round_id: int, card: dict | None = None) -> tuple[BalancePayment | None, dict]:
    """A25: the buyer pays sold_price − deposit through the provider."""
    rnd = _winner_round(user, round_id)
    if rnd.balance_due_at and clock.now() > rnd.balance_due_at:
        raise Conflict(ErrorCode.BALANCE_OVERDUE, "已过尾款支付期限 (A24/A25) / the balance deadline has passed")
    apply_winner_deposit(user, reg=_winner(rnd))
    with transaction.atomic():
        rnd = rounds.lock(rnd.pk)
        remaining = balance_remaining(rnd)
        if remaining <= 0:
            _check_paid_in_full(rnd, actor=user)
            return None, {"provider": None, "amount": 0}
        bp = (BalancePayment.objects.select_for_update(of=("self",))
              .filter(round=rnd, method=BalancePayment.Method.PROVIDER, status=BalancePayment.Status.PENDING, amount=remaining)
              .order_by("-pk").first())
        if bp is None:
            bp = BalancePayment.objects.create(round=rnd, registration_id=rnd.leader_id, method=BalancePayment.Method.PROVIDER,
                                               amount=remaining, provider=settings.PAYMENT_PROVIDER, created_at=clock.now())
            audit.record("balance.payment_started", bp, chain=rnd, actor=user, data={"round": rnd.pk, "amount": remaining})
    if not bp.payment_intent_id:
        # The provider is asked outside the transaction, with the payment row's own key.
        payment = get_gateway(bp.provider).create_payment(
            remaining, idempotency_key=f"balance:{bp.pk}",
            metadata={"kind": "balance", "balance_payment": str(bp.pk), "round": str(rnd.pk), "registration": str(rnd.leader_id)},
        )
        with transaction.atomic():
            locked = BalancePayment.objects.select_for_update(of=("self",)).get(pk=bp.pk)
            if not locked.payment_intent_id:
                locked.payment_intent_id, locked.client_secret = payment.id, payment.client_secret
                locked.save(update_fields=["payment_intent_id", "client_secret"])
            bp = locked
    if card is not None:
        if not settings.CLOCK_ADVANCE_ALLOWED:
            raise DomainError(ErrorCode.CARD_NOT_ACCEPTED, "生产环境不接受服务器端银行卡数据 / card data is accepted only in test/demo mode")
        gw = get_gateway(bp.provider)
        if gw.retrieve_payment(bp.payment_intent_id).status in {"requires_payment_method", "requires_confirmation"}:
            gw.confirm_with_card(bp.payment_intent_id, card)
        sync_balance_payment(user, bp=bp)
        bp.refresh_from_db()
    return bp, balance_payment_info(bp)


def balance_payment_info(bp: BalancePayment) -> dict:
    info = {"provider": bp.provider, "payment_intent": bp.payment_intent_id, "amount": bp.amount, "status": bp.status}
    if bp.provider == "stripe":
        info["client_secret"] = bp.client_secret
    else:
        info["confirm_url"] = f"/api/v1/balance-payments/{bp.pk}/confirm/"  # POST with the token (API clients)
        info["pay_page_url"] = f"/escrow/sandbox/pay-balance/{bp.pk}/"  # the browser page
    return info


def sandbox_pay_balance(user, /, *, payment_id: int) -> BalancePayment:
    bp = BalancePayment.objects.select_related("registration").filter(pk=payment_id, registration__bidder=user).first()
    if bp is None:
        raise NotFound()
    if bp.status == BalancePayment.Status.PENDING and bp.provider == "sandbox":
        get_gateway("sandbox").pay(bp.payment_intent_id)
        sync_balance_payment(user, bp=bp)
        bp.refresh_from_db()
    return bp


def sync_balance_payment(actor: Any, /, *, bp: BalancePayment, event: dict | None = None) -> str:
    payment = get_gateway(bp.provider).retrieve_payment(bp.payment_intent_id)
    return apply_balance_state(actor, bp_id=bp.pk, payment=payment, event=event)


def apply_balance_state(actor: Any, /, *, bp_id: int, payment: Payment, event: dict | None = None) -> str:
    with transaction.atomic():
        if not mark_event(event, payment.id):
            return "duplicate"
        round_id = BalancePayment.objects.values_list("round_id", flat=True).get(pk=bp_id)
        rnd = rounds.lock(round_id, related=("lot__case",))
        bp = BalancePayment.objects.select_for_update(of=("self",)).get(pk=bp_id)
        if payment.status != "succeeded" or bp.status != BalancePayment.Status.PENDING:
            return "unchanged"
        if payment.amount != bp.amount:
            raise Conflict(ErrorCode.AMOUNT_MISMATCH, "支付金额不符 / the paid amount differs")
        ledger.post(
            "balance_paid",
            [ledger.Line(ledger.provider_cash_account(), debit=bp.amount), ledger.Line(ledger.case_account(rnd.lot.case), credit=bp.amount)],
            memo=f"尾款 (A25) 第{rnd.number}次拍卖", idempotency_key=f"balance_paid:{payment.id}",
            case=rnd.lot.case, round=rnd, external_ref=payment.id, actor=actor,
        )
        bp.status = BalancePayment.Status.PAID
        bp.paid_at = clock.now()
        bp.save(update_fields=["status", "paid_at"])
        audit.record("balance.paid", bp, chain=rnd, actor=actor, data={"round": rnd.pk, "amount": bp.amount, "payment_intent": payment.id})
        _check_paid_in_full(rnd, actor=actor)
        return "paid"


def confirm_transfer(judge, /, *, round_id: int, amount: int, reference: str) -> BalancePayment:
    """A judge of the court confirms a bank transfer of (part of) the balance, for sums too large for cards."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    ensure_judge_of(judge, rnd)
    if rnd.status != Round.Status.SOLD or rnd.leader_id is None:
        raise Conflict(ErrorCode.NOT_SOLD, "该拍卖不在待付尾款状态 / the round is not awaiting the balance")
    apply_winner_deposit(judge, reg=_winner(rnd))
    with transaction.atomic():
        rnd = rounds.lock(rnd.pk, related=("lot__case__court",))
        if rnd.status != Round.Status.SOLD:
            raise Conflict(ErrorCode.NOT_SOLD, "该拍卖不在待付尾款状态 / the round is not awaiting the balance")
        remaining = balance_remaining(rnd)
        if amount > remaining:
            raise DomainError(ErrorCode.OVERPAYMENT, f"金额超过应付尾款 {remaining} 分 / amount exceeds the balance due ({remaining})")
        if BalancePayment.objects.filter(round=rnd, method=BalancePayment.Method.TRANSFER, reference=reference).exists():
            raise Conflict(ErrorCode.DUPLICATE_REFERENCE, "该转账凭证已确认过 / this transfer reference was already confirmed")
        bp = BalancePayment.objects.create(round=rnd, registration_id=rnd.leader_id, method=BalancePayment.Method.TRANSFER, amount=amount,
                                           status=BalancePayment.Status.PAID, reference=reference, confirmed_by=judge,
                                           created_at=clock.now(), paid_at=clock.now())
        case = rnd.lot.case
        ledger.post(
            "balance_transfer",
            [ledger.Line(ledger.bank_account(case.court), debit=amount), ledger.Line(ledger.case_account(case), credit=amount)],
            memo=f"尾款银行转账 {reference} (A25)", idempotency_key=f"balance_transfer:{bp.pk}",
            case=case, round=rnd, external_ref=reference, actor=judge,
        )
        audit.record("balance.transfer_confirmed", bp, chain=rnd, actor=judge, data={"round": rnd.pk, "amount": amount, "reference": reference})
        _check_paid_in_full(rnd, actor=judge)
    return bp


def chase_balance(judge, /, *, round_id: int) -> int:
    """催缴 (A25): the judge reminds the buyer of the balance still owed and of its deadline (a notification,
    inbox and e-mail, audited on the round). Returns the amount still owed."""
    with transaction.atomic():
        rnd = rounds.lock(round_id, related=("lot__case__court",))
        ensure_judge_of(judge, rnd.lot.case.court)
        if rnd.status != Round.Status.SOLD or rnd.leader_id is None:
            raise Conflict(ErrorCode.NOT_SOLD, "只有待付尾款的成交可以催缴 / only a sale awaiting its balance can be chased")
        remaining = balance_remaining(rnd)
        buyer_id = _winner(rnd).bidder_id
        record = audit.record("balance.chased", rnd, actor=judge, data={"remaining": remaining, "balance_due_at": rnd.balance_due_at})
        # The buyer hears of it in the inbox and by e-mail (the notifications outbox, committed with this chase).
        days = max((rnd.balance_due_at - clock.now()).days, 0) if rnd.balance_due_at else 0
        notify(buyer_id, kinds.BALANCE_DUE.name, key=f"balance_chased:{rnd.pk}:{record.pk}", url="/me/deposits/",
               data=kinds.round_data(rnd, when=rnd.balance_due_at, amount=remaining, days=days))
    return remaining


def declare_default(judge, /, *, round_id: int) -> bool:
    """悔拍 (A24) declared by the judge once the A25 deadline passed unpaid (the clock does the same by itself)."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    ensure_judge_of(judge, rnd.lot.case.court)
    if not default_round(round_id, actor=judge):
        raise Conflict(ErrorCode.BALANCE_NOT_DUE, "尾款期限未届满或已付清，不能认定悔拍 / the balance is not overdue")
    return True


def default_round(round_id: int, now=None, actor: Any = "clock") -> bool:
    """A24: the balance deadline passed unpaid: forfeit the deposit into the case (sub-account), round → defaulted."""
    now = now or clock.now()
    with transaction.atomic():
        rnd = rounds.lock(round_id, related=("lot__case",))
        if not rules.is_in_default(rnd.status, rnd.balance_due_at, balance_remaining(rnd) == 0, now) or rnd.leader_id is None:
            return False
        reg = lock_registration(rnd.leader_id)
        d = lock_deposit(rnd.leader_id)
        case = rnd.lot.case
        if d is not None and reg.status in {RegStatus.HELD, RegStatus.APPLIED}:
            source = ledger.deposit_account(reg) if reg.status == RegStatus.HELD else ledger.case_account(case)
            ledger.post(
                "deposit_forfeited",
                [ledger.Line(source, debit=d.amount), ledger.Line(ledger.forfeit_account(case), credit=d.amount)],
                memo=f"悔拍没收保证金 (A24) 登记#{reg.pk}：依次用于拍卖费用、再拍差价、本案债务",
                idempotency_key=f"deposit_forfeited:reg:{reg.pk}", case=case, round=rnd, external_ref=d.payment_intent_id or "",
            )
            d.forfeited_at = now
            d.save(update_fields=["forfeited_at"])
        reg.status = RegStatus.FORFEITED
        reg.save(update_fields=["status"])
        audit.record("deposit.forfeited", reg, data={"round": rnd.pk, "amount": d.amount if d else 0})
        # The defaulter can no longer pay: cancel their open balance payments (at the provider after commit).
        open_payments = list(BalancePayment.objects.select_for_update(of=("self",)).filter(round=rnd, status=BalancePayment.Status.PENDING))
        for bp in open_payments:
            bp.status = BalancePayment.Status.CANCELLED
            bp.save(update_fields=["status"])
        rounds.change_status(rnd, Round.Status.DEFAULTED, actor=actor, data={"balance_due_at": rnd.balance_due_at, "registration": reg.pk})
        to_cancel = [(bp.provider, bp.payment_intent_id) for bp in open_payments if bp.payment_intent_id]
        transaction.on_commit(lambda: _cancel_at_provider(to_cancel))
    return True


def _cancel_at_provider(payments: list[tuple[str, str]]) -> None:
    for provider, payment_id in payments:
        try:
            get_gateway(provider).cancel_payment(payment_id)
        except DomainError as e:  # already paid or gone: reconciliation lists it
            logger.warning("could not cancel %s after default: %s", payment_id, e.message)
