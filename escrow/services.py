"""Every write of escrow: registration and deposits, releases, the balance, defaults, webhooks.

Money moves only through `ledger.post()`. A provider call that creates something (a payment, a refund)
runs while we hold the row lock of the deposit, and the provider's id is looked up again before any
retry, so a crash between the provider and our database never charges or refunds twice; what such a
crash leaves behind is listed by `manage.py reconcile` and completed by the next re-check or tick.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, Forbidden, NotFound
from bidding.models import Registration
from escrow import ledger, rules
from escrow.gateway import Payment, Refund, get_gateway
from escrow.models import BalancePayment, Deposit, ProcessedEvent
from lots.models import PriorityHolder, Round

logger = logging.getLogger("escrow")

Status = Registration.Status


def _violation_error(v, status: int = 403) -> DomainError:
    return DomainError(v.code, str(v), status=status)


def _publish_status_on_commit(rnd: Round) -> None:
    from bidding.events import publish_status

    rid, status, seq, ends_at = rnd.pk, rnd.status, rnd.seq, rnd.ends_at
    transaction.on_commit(lambda: publish_status(rid, status, seq, ends_at))


# --- registration and the deposit payment ------------------------------------------------------

def register(user, round_id: int) -> tuple[Registration, dict]:
    """A bidder registers for a round: eligibility first (no money moves for a barred bidder), then a deposit payment."""
    rnd = Round.objects.select_related("lot__case").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    v = rules.check_bidder_eligible(user, rnd)
    if v:
        raise _violation_error(v, 403)
    v = rules.check_registration_open(rnd.status, rnd.ends_at, clock.now())
    if v:
        raise _violation_error(v, 409)
    deposit = open_registration(user, rnd)
    return deposit.registration, payment_info(deposit)


def open_registration(user, rnd: Round, provider: str | None = None) -> Deposit:
    """The registration row and its deposit, then the provider payment (idempotent per bidder and round)."""
    with transaction.atomic():
        reg, created = Registration.objects.get_or_create(
            round=rnd, bidder=user, defaults={"status": Status.PENDING, "created_at": clock.now()},
        )
        if not created and reg.status not in {Status.PENDING, Status.HELD}:
            raise Conflict("already_registered", f"已报名，状态：{reg.get_status_display()} / already registered ({reg.status})")
        deposit, _ = Deposit.objects.get_or_create(
            registration=reg, defaults={"amount": rnd.deposit, "provider": provider or settings.PAYMENT_PROVIDER, "created_at": clock.now()},
        )
        if created:
            audit.record("registration.created", reg, actor=user, data={"round": rnd.pk, "deposit": deposit.amount, "provider": deposit.provider})
    if reg.status == Status.PENDING:
        deposit = ensure_payment(deposit, actor=user)
    return deposit


def ensure_payment(deposit: Deposit, actor=None) -> Deposit:
    """Start the provider payment once. The PaymentIntent id is stored before anyone is told about it."""
    if deposit.payment_intent_id:
        return deposit
    with transaction.atomic():
        d = Deposit.objects.select_for_update().select_related("registration__round__lot__case").get(pk=deposit.pk)
        if d.payment_intent_id:
            return d
        reg = d.registration
        gw = get_gateway(d.provider)
        payment = gw.create_payment(
            d.amount, idempotency_key=f"deposit:reg:{reg.pk}:{int(d.created_at.timestamp())}",
            metadata={"kind": "deposit", "registration": str(reg.pk), "round": str(reg.round_id),
                      "case": reg.round.lot.case.case_number},
        )
        d.payment_intent_id = payment.id
        d.client_secret = payment.client_secret
        d.provider_status = payment.status
        d.save(update_fields=["payment_intent_id", "client_secret", "provider_status"])
        audit.record("deposit.payment_started", d, actor=actor, data={"payment_intent": payment.id, "amount": d.amount})
    return d


def payment_info(deposit: Deposit) -> dict:
    info = {"provider": deposit.provider, "payment_intent": deposit.payment_intent_id, "amount": deposit.amount}
    reg_id = deposit.registration_id
    if deposit.provider == "stripe":
        info["client_secret"] = deposit.client_secret
        info["publishable_key"] = settings.STRIPE_PUBLISHABLE_KEY
    else:
        info["confirm_url"] = f"/escrow/sandbox/pay/{reg_id}/"
    if settings.CLOCK_ADVANCE_ALLOWED:
        # Test/demo mode: API clients may confirm server-side with a test card; browsers use the pay page.
        info["test_pay_url"] = f"/api/v1/registrations/{reg_id}/pay/"
        info["pay_page_url"] = f"/escrow/sandbox/pay/{reg_id}/"
    return info


def _own_registration(user, registration_id: int, *, allow_court: bool = False) -> Registration:
    reg = Registration.objects.select_related("round__lot__case__court", "bidder").filter(pk=registration_id).first()
    if reg is None:
        raise NotFound("报名记录不存在 / no such registration")
    if reg.bidder_id == user.pk:
        return reg
    if allow_court and (getattr(user, "is_operator", False) or (user.role == "judge" and user.court_id == reg.round.lot.case.court_id)):
        return reg
    raise NotFound("报名记录不存在 / no such registration")


def pay_with_test_card(user, registration_id: int, card: dict) -> Registration:
    """Test/demo mode only: confirm the deposit server-side with a test card, then act on the provider's answer."""
    if not settings.CLOCK_ADVANCE_ALLOWED:
        raise NotFound()
    reg = _own_registration(user, registration_id)
    if reg.status != Status.PENDING:
        return reg
    deposit = ensure_payment(Deposit.objects.get(registration=reg), actor=user)
    gw = get_gateway(deposit.provider)
    current = gw.retrieve_payment(deposit.payment_intent_id)
    if current.status in {"requires_payment_method", "requires_confirmation"}:
        gw.confirm_with_card(deposit.payment_intent_id, card)
    sync_deposit(deposit, actor=user)
    reg.refresh_from_db()
    return reg


def sandbox_pay(user, registration_id: int) -> Registration:
    """The 'pay' click on the sandbox page (embedded provider)."""
    reg = _own_registration(user, registration_id)
    if reg.status != Status.PENDING:
        return reg
    deposit = ensure_payment(Deposit.objects.get(registration=reg), actor=user)
    if deposit.provider != "sandbox":
        raise DomainError("wrong_provider", "该保证金不是通过沙箱支付的 / this deposit is not paid through the sandbox")
    get_gateway("sandbox").pay(deposit.payment_intent_id)
    sync_deposit(deposit, actor=user)
    reg.refresh_from_db()
    return reg


def recheck_registration(user, registration_id: int) -> Registration:
    reg = _own_registration(user, registration_id, allow_court=True)
    deposit = Deposit.objects.filter(registration=reg).first()
    if deposit and deposit.payment_intent_id:
        sync_deposit(deposit, actor=user)
        reg.refresh_from_db()
    return reg


# --- acting on the provider's state --------------------------------------------------------------

def _fetch(deposit: Deposit) -> tuple[Payment, list[Refund]]:
    gw = get_gateway(deposit.provider)
    payment = gw.retrieve_payment(deposit.payment_intent_id)
    refunds = gw.list_refunds(deposit.payment_intent_id) if payment.status == "succeeded" else []
    return payment, refunds


def sync_deposit(deposit: Deposit, *, actor=None, event: dict | None = None) -> str:
    """Ask the provider for the real state of the deposit's payment and act on it (idempotent)."""
    payment, refunds = _fetch(deposit)
    return apply_deposit_state(deposit.pk, payment, refunds, actor=actor, event=event)


def _mark_event(event: dict | None, object_id: str) -> bool:
    """Record the event as processed; False when it already was (inside the caller's transaction)."""
    if not event:
        return True
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(event_id=event["id"], type=event.get("type", ""), object_id=object_id, processed_at=clock.now())
    except IntegrityError:
        return False
    return True


def apply_deposit_state(deposit_id: int, payment: Payment, refunds: list[Refund], *, actor=None, event: dict | None = None) -> str:
    with transaction.atomic():
        if not _mark_event(event, payment.id):
            return "duplicate"
        d = Deposit.objects.select_for_update().get(pk=deposit_id)
        reg = Registration.objects.select_for_update().select_related("round__lot__case").get(pk=d.registration_id)
        outcome = "unchanged"
        d.provider_status = payment.status
        d.checked_at = clock.now()
        d.save(update_fields=["provider_status", "checked_at"])
        if payment.status == "succeeded" and reg.status in {Status.PENDING, Status.CANCELLED}:
            if payment.amount != d.amount:
                logger.error("deposit %s: provider amount %s differs from %s", d.pk, payment.amount, d.amount)
                raise Conflict("amount_mismatch", "支付金额与保证金不符 / the paid amount differs from the deposit")
            _hold(d, reg, actor=actor)
            outcome = "held"
        elif payment.status == "canceled" and reg.status == Status.PENDING:
            reg.status = Status.CANCELLED
            reg.save(update_fields=["status"])
            audit.record("registration.cancelled", reg, actor=actor, data={"payment_intent": payment.id})
            outcome = "cancelled"
        done = [r for r in refunds if r.status == "succeeded"]
        if done and reg.status == Status.HELD:
            _record_release(d, reg, done[0], actor=actor)
            outcome = "released"
        elif done and reg.status in {Status.APPLIED, Status.FORFEITED}:
            logger.error("deposit %s refunded at the provider but %s here: reconciliation will list it", d.pk, reg.status)
        return outcome


def _issue_code(reg: Registration) -> None:
    """A18: a random code, unique in the round, never derived from identity; retried on collision."""
    for _ in range(50):
        code = rules.new_bidder_code()
        if Registration.objects.filter(round_id=reg.round_id, code=code).exists():
            continue
        reg.code = code
        try:
            with transaction.atomic():
                reg.save(update_fields=["code"])
            return
        except IntegrityError:
            continue
    raise Conflict("code_exhausted", "无法生成竞买代码 / could not issue a bidder code")


def _hold(d: Deposit, reg: Registration, actor=None) -> None:
    rnd = reg.round
    now = clock.now()
    ledger.post(
        "deposit_held",
        [ledger.Line(ledger.provider_cash_account(), debit=d.amount), ledger.Line(ledger.deposit_account(reg), credit=d.amount)],
        memo=f"保证金到账 登记#{reg.pk} (A17)", idempotency_key=f"deposit_held:{d.payment_intent_id}",
        case=rnd.lot.case, round=rnd, external_ref=d.payment_intent_id or "", actor=actor,
    )
    if not reg.code:
        _issue_code(reg)
    holder = PriorityHolder.objects.filter(lot_id=rnd.lot_id, id_number__iexact=(reg.bidder.id_number or "-")).order_by("rank").first()
    reg.priority_rank = holder.rank if holder else None
    reg.status = Status.HELD
    reg.held_at = now
    reg.save(update_fields=["status", "held_at", "priority_rank"])
    d.held_at = now
    d.save(update_fields=["held_at"])
    audit.record("deposit.held", reg, actor=actor, data={"round": rnd.pk, "amount": d.amount, "payment_intent": d.payment_intent_id,
                                                          "code": reg.code, "priority_rank": reg.priority_rank})


def _record_release(d: Deposit, reg: Registration, refund: Refund, actor=None) -> None:
    rnd = reg.round
    ledger.post(
        "deposit_released",
        [ledger.Line(ledger.deposit_account(reg), debit=refund.amount), ledger.Line(ledger.provider_cash_account(), credit=refund.amount)],
        memo=f"保证金退还 登记#{reg.pk} (A23)", idempotency_key=f"deposit_released:{refund.id}",
        case=rnd.lot.case, round=rnd, external_ref=refund.id, actor=actor,
    )
    now = clock.now()
    reg.status = Status.RELEASED
    reg.save(update_fields=["status"])
    d.refund_id = refund.id
    d.released_at = now
    d.last_error = ""
    d.save(update_fields=["refund_id", "released_at", "last_error"])
    audit.record("deposit.released", reg, actor=actor, data={"round": rnd.pk, "amount": refund.amount, "refund": refund.id})


def release_deposit(deposit: Deposit, *, reason: str = "", actor=None) -> str:
    """Refund a held deposit through the provider and record it (A23, A28). Safe to retry at any point."""
    if not deposit.payment_intent_id:
        return "no_payment"
    gw = get_gateway(deposit.provider)
    try:
        with transaction.atomic():
            d = Deposit.objects.select_for_update().get(pk=deposit.pk)
            reg = Registration.objects.select_for_update().select_related("round__lot__case").get(pk=d.registration_id)
            if reg.status != Status.HELD:
                return "not_held"
            # A previous attempt may have refunded and crashed before writing: look before refunding again.
            seen = gw.list_refunds(d.payment_intent_id)
            refunds = [r for r in seen if r.status in {"succeeded", "pending"}]
            now = clock.now()
            if not refunds:
                # Refunds the provider failed are asked for again, later each time (A23); each new
                # request has a key of its own, or the provider would answer with the failed one.
                failed = sum(1 for r in seen if r.status in {"failed", "canceled"})
                retry_at = rules.refund_retry_at(failed, d.refund_attempted_at)
                if retry_at is not None and now < retry_at:
                    return "retry_later"
                key = f"release:reg:{reg.pk}:{int(d.created_at.timestamp())}" + (f":retry{failed}" if failed else "")
                refunds = [gw.refund(d.payment_intent_id, d.amount, idempotency_key=key,
                                     metadata={"kind": "deposit_release", "registration": str(reg.pk), "round": str(reg.round_id)})]
                d.refund_attempted_at = now
            refund = refunds[0]
            d.attempts += 1
            d.refund_requested_at = d.refund_requested_at or now
            d.save(update_fields=["attempts", "refund_requested_at", "refund_attempted_at"])
            if refund.status == "succeeded":
                _record_release(d, reg, refund, actor=actor)
                if reason:
                    audit.record("deposit.release_reason", reg, actor=actor, data={"reason": reason})
                return "released"
            d.refund_id = refund.id
            if refund.status in {"failed", "canceled"}:  # refused by the provider at once
                d.last_error = f"退款失败，将重试 / the provider failed refund {refund.id}; it will be tried again"
                d.save(update_fields=["refund_id", "last_error"])
                logger.warning("refund %s of deposit %s %s at the provider", refund.id, d.pk, refund.status)
                return "refund_failed"
            d.save(update_fields=["refund_id"])
            return "refund_pending"
    except DomainError as e:
        Deposit.objects.filter(pk=deposit.pk).update(last_error=e.message[:500])
        logger.warning("release of deposit %s failed: %s", deposit.pk, e.message)
        return "error"


def release_round_deposits(round_id: int, *, reason: str = "", actor=None) -> int:
    """Release at once every held deposit the round no longer needs (A28: on withdrawal; also after the close).

    The clock does the same on each tick; callers (e.g. the withdraw service) may call this on commit to act at once.
    """
    rnd = Round.objects.get(pk=round_id)
    now = clock.now()
    done = 0
    for d in Deposit.objects.filter(registration__round=rnd, registration__status=Status.HELD).select_related("registration"):
        what = rules.deposit_disposition(rnd.status, rnd.leader_id == d.registration_id, rnd.suspended_at, now,
                                         has_leader=rnd.leader_id is not None)
        if what == "release" and release_deposit(d, reason=reason or f"round {rnd.status}", actor=actor) == "released":
            done += 1
    return done


def apply_winner_deposit(reg: Registration, actor=None) -> bool:
    """A23/A25: the winner's deposit moves into the case account and counts toward the price."""
    with transaction.atomic():
        # Lock order everywhere: round, then deposit, then registration.
        d = Deposit.objects.select_for_update().filter(registration_id=reg.pk).first()
        reg = Registration.objects.select_for_update().select_related("round__lot__case").get(pk=reg.pk)
        if reg.status != Status.HELD or d is None:
            return False
        rnd = reg.round
        ledger.post(
            "deposit_applied",
            [ledger.Line(ledger.deposit_account(reg), debit=d.amount), ledger.Line(ledger.case_account(rnd.lot.case), credit=d.amount)],
            memo=f"买受人保证金转入案款 (A25) 第{rnd.number}次拍卖", idempotency_key=f"deposit_applied:reg:{reg.pk}",
            case=rnd.lot.case, round=rnd, external_ref=d.payment_intent_id or "", actor=actor,
        )
        reg.status = Status.APPLIED
        reg.save(update_fields=["status"])
        d.applied_at = clock.now()
        d.save(update_fields=["applied_at"])
        audit.record("deposit.applied", reg, actor=actor, data={"round": rnd.pk, "amount": d.amount})
    return True


def cancel_unpaid(deposit: Deposit) -> str:
    """A pending registration of a finished round: cancel the provider payment so it can no longer be paid."""
    payment, refunds = _fetch(deposit)
    if payment.status not in {"succeeded", "canceled", "processing"}:
        try:
            payment = get_gateway(deposit.provider).cancel_payment(deposit.payment_intent_id)
        except DomainError:
            payment, refunds = _fetch(deposit)
    return apply_deposit_state(deposit.pk, payment, refunds)


# --- balance, transfer, default --------------------------------------------------------------------

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
    rnd.status = Round.Status.PAID
    rnd.seq += 1
    rnd.save(update_fields=["status", "seq"])
    audit.record("round.paid", rnd, actor=actor, data={"sold_price": rnd.sold_price, "deposit": winner_deposit_amount(rnd),
                                                        "balance": balance_paid(rnd), "seq": rnd.seq})
    _publish_status_on_commit(rnd)
    return True


def _winner_round(user, round_id: int) -> Round:
    rnd = Round.objects.select_related("lot__case__court", "leader").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    if rnd.leader is None or rnd.leader.bidder_id != user.pk:
        raise Forbidden("只有买受人可以支付尾款 / only the buyer pays the balance", code="not_winner")
    if rnd.status == Round.Status.PAID:
        raise Conflict("already_paid", "尾款已付清 / the balance is already paid")
    if rnd.status != Round.Status.SOLD:
        raise Conflict("not_sold", f"该拍卖状态为 {rnd.status}，不能支付尾款 / the round is not awaiting the balance")
    return rnd


def start_balance_payment(user, round_id: int, card: dict | None = None) -> tuple[BalancePayment | None, dict]:
    """A25: the buyer pays sold_price − deposit through the provider."""
    rnd = _winner_round(user, round_id)
    if rnd.balance_due_at and clock.now() > rnd.balance_due_at:
        raise Conflict("balance_overdue", "已过尾款支付期限 (A24/A25) / the balance deadline has passed")
    apply_winner_deposit(rnd.leader, actor=user)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        remaining = balance_remaining(rnd)
        if remaining <= 0:
            _check_paid_in_full(rnd, actor=user)
            return None, {"provider": None, "amount": 0}
        bp = BalancePayment.objects.filter(round=rnd, method=BalancePayment.Method.PROVIDER, status=BalancePayment.Status.PENDING,
                                           amount=remaining).order_by("-pk").first()
        if bp is None:
            bp = BalancePayment.objects.create(round=rnd, registration_id=rnd.leader_id, method=BalancePayment.Method.PROVIDER,
                                               amount=remaining, provider=settings.PAYMENT_PROVIDER, created_at=clock.now())
            audit.record("balance.payment_started", bp, actor=user, data={"round": rnd.pk, "amount": remaining})
        if not bp.payment_intent_id:
            payment = get_gateway(bp.provider).create_payment(
                remaining, idempotency_key=f"balance:{bp.pk}",
                metadata={"kind": "balance", "balance_payment": str(bp.pk), "round": str(rnd.pk), "registration": str(rnd.leader_id)},
            )
            bp.payment_intent_id, bp.client_secret = payment.id, payment.client_secret
            bp.save(update_fields=["payment_intent_id", "client_secret"])
    if card is not None:
        if not settings.CLOCK_ADVANCE_ALLOWED:
            raise DomainError("card_not_accepted", "生产环境不接受服务器端银行卡数据 / card data is accepted only in test/demo mode")
        gw = get_gateway(bp.provider)
        if gw.retrieve_payment(bp.payment_intent_id).status in {"requires_payment_method", "requires_confirmation"}:
            gw.confirm_with_card(bp.payment_intent_id, card)
        sync_balance_payment(bp, actor=user)
        bp.refresh_from_db()
    return bp, balance_payment_info(bp)


def balance_payment_info(bp: BalancePayment) -> dict:
    info = {"provider": bp.provider, "payment_intent": bp.payment_intent_id, "amount": bp.amount, "status": bp.status}
    if bp.provider == "stripe":
        info["client_secret"] = bp.client_secret
    else:
        info["confirm_url"] = f"/escrow/sandbox/pay-balance/{bp.pk}/"
    return info


def sandbox_pay_balance(user, payment_id: int) -> BalancePayment:
    bp = BalancePayment.objects.select_related("registration").filter(pk=payment_id, registration__bidder=user).first()
    if bp is None:
        raise NotFound()
    if bp.status == BalancePayment.Status.PENDING and bp.provider == "sandbox":
        get_gateway("sandbox").pay(bp.payment_intent_id)
        sync_balance_payment(bp, actor=user)
        bp.refresh_from_db()
    return bp


def sync_balance_payment(bp: BalancePayment, *, actor=None, event: dict | None = None) -> str:
    payment = get_gateway(bp.provider).retrieve_payment(bp.payment_intent_id)
    return apply_balance_state(bp.pk, payment, actor=actor, event=event)


def apply_balance_state(bp_id: int, payment: Payment, *, actor=None, event: dict | None = None) -> str:
    with transaction.atomic():
        if not _mark_event(event, payment.id):
            return "duplicate"
        bp = BalancePayment.objects.select_for_update().get(pk=bp_id)
        rnd = Round.objects.select_for_update().select_related("lot__case").get(pk=bp.round_id)
        if payment.status != "succeeded" or bp.status != BalancePayment.Status.PENDING:
            return "unchanged"
        if payment.amount != bp.amount:
            raise Conflict("amount_mismatch", "支付金额不符 / the paid amount differs")
        ledger.post(
            "balance_paid",
            [ledger.Line(ledger.provider_cash_account(), debit=bp.amount), ledger.Line(ledger.case_account(rnd.lot.case), credit=bp.amount)],
            memo=f"尾款 (A25) 第{rnd.number}次拍卖", idempotency_key=f"balance_paid:{payment.id}",
            case=rnd.lot.case, round=rnd, external_ref=payment.id, actor=actor,
        )
        bp.status = BalancePayment.Status.PAID
        bp.paid_at = clock.now()
        bp.save(update_fields=["status", "paid_at"])
        audit.record("balance.paid", bp, actor=actor, data={"round": rnd.pk, "amount": bp.amount, "payment_intent": payment.id})
        _check_paid_in_full(rnd, actor=actor)
        return "paid"


def confirm_transfer(judge, round_id: int, amount: int, reference: str) -> BalancePayment:
    """A judge of the court confirms a bank transfer of (part of) the balance, for sums too large for cards."""
    rnd = Round.objects.select_related("lot__case__court", "leader").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    if judge.role != "judge" or judge.court_id != rnd.lot.case.court_id:
        raise Forbidden("仅本院法官可以确认转账 / only a judge of this court may confirm a transfer")
    if rnd.status != Round.Status.SOLD or rnd.leader_id is None:
        raise Conflict("not_sold", "该拍卖不在待付尾款状态 / the round is not awaiting the balance")
    apply_winner_deposit(rnd.leader, actor=judge)
    with transaction.atomic():
        rnd = Round.objects.select_for_update().select_related("lot__case__court").get(pk=rnd.pk)
        if rnd.status != Round.Status.SOLD:
            raise Conflict("not_sold", "该拍卖不在待付尾款状态 / the round is not awaiting the balance")
        remaining = balance_remaining(rnd)
        if amount > remaining:
            raise DomainError("overpayment", f"金额超过应付尾款 {remaining} 分 / amount exceeds the balance due ({remaining})")
        if BalancePayment.objects.filter(round=rnd, method=BalancePayment.Method.TRANSFER, reference=reference).exists():
            raise Conflict("duplicate_reference", "该转账凭证已确认过 / this transfer reference was already confirmed")
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
        audit.record("balance.transfer_confirmed", bp, actor=judge, data={"round": rnd.pk, "amount": amount, "reference": reference})
        _check_paid_in_full(rnd, actor=judge)
    return bp


def default_round(round_id: int, now=None) -> bool:
    """A24: the balance deadline passed unpaid: forfeit the deposit into the case (sub-account), round → defaulted."""
    now = now or clock.now()
    with transaction.atomic():
        rnd = Round.objects.select_for_update().select_related("lot__case").get(pk=round_id)
        if not rules.is_in_default(rnd.status, rnd.balance_due_at, balance_remaining(rnd) == 0, now) or rnd.leader_id is None:
            return False
        d = Deposit.objects.select_for_update().filter(registration_id=rnd.leader_id).first()
        reg = Registration.objects.select_for_update().get(pk=rnd.leader_id)
        case = rnd.lot.case
        if d is not None and reg.status in {Status.HELD, Status.APPLIED}:
            source = ledger.deposit_account(reg) if reg.status == Status.HELD else ledger.case_account(case)
            ledger.post(
                "deposit_forfeited",
                [ledger.Line(source, debit=d.amount), ledger.Line(ledger.forfeit_account(case), credit=d.amount)],
                memo=f"悔拍没收保证金 (A24) 登记#{reg.pk}：依次用于拍卖费用、再拍差价、本案债务",
                idempotency_key=f"deposit_forfeited:reg:{reg.pk}", case=case, round=rnd, external_ref=d.payment_intent_id or "",
            )
            d.forfeited_at = now
            d.save(update_fields=["forfeited_at"])
        reg.status = Status.FORFEITED
        reg.save(update_fields=["status"])
        audit.record("deposit.forfeited", reg, data={"round": rnd.pk, "amount": d.amount if d else 0})
        rnd.status = Round.Status.DEFAULTED
        rnd.seq += 1
        rnd.save(update_fields=["status", "seq"])
        audit.record("round.defaulted", rnd, data={"balance_due_at": rnd.balance_due_at, "seq": rnd.seq, "registration": reg.pk})
        _publish_status_on_commit(rnd)
        # The defaulter can no longer pay: cancel their open balance payments (at the provider after commit).
        open_payments = list(BalancePayment.objects.select_for_update().filter(round=rnd, status=BalancePayment.Status.PENDING))
        for bp in open_payments:
            bp.status = BalancePayment.Status.CANCELLED
            bp.save(update_fields=["status"])
        to_cancel = [(bp.provider, bp.payment_intent_id) for bp in open_payments if bp.payment_intent_id]
        transaction.on_commit(lambda: _cancel_at_provider(to_cancel))
    return True


def _cancel_at_provider(payments: list[tuple[str, str]]) -> None:
    for provider, payment_id in payments:
        try:
            get_gateway(provider).cancel_payment(payment_id)
        except DomainError as e:  # already paid or gone: reconciliation lists it
            logger.warning("could not cancel %s after default: %s", payment_id, e.message)


# --- webhooks ------------------------------------------------------------------------------------

def handle_provider_event(event: dict) -> str:
    """A verified provider event: find our object, re-fetch the real state, act once per event id."""
    event_id = event.get("id") or ""
    if not event_id:
        raise DomainError("invalid_event", "事件缺少id / event without id")
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
        return sync_deposit(deposit, event=event)
    bp = BalancePayment.objects.filter(payment_intent_id=pi_id).first() if pi_id else None
    if bp is not None:
        return sync_balance_payment(bp, event=event)
    with transaction.atomic():
        _mark_event(event, pi_id or "")
    return "ignored"
