"""Every write of escrow's registrations and deposits: registering, paying, holding, releasing.

Balances, bank transfers of the balance and defaults are in escrow/balances.py; provider webhooks
in escrow/webhooks.py. Money moves only through `ledger.post()`.

Locks and providers (docs/architecture.md):
- each transaction locks only escrow's own rows (`of=("self",)`), in the site's order: round →
  registration → deposit → balance payment → ledger accounts;
- no provider call (Stripe, the sandbox) is made while a lock is held: the call goes before the
  transaction with an idempotency key, and what it returned is written after, under the lock and
  re-checked; a refund is first *claimed* in a short transaction (so two workers never ask for it at
  once), then asked for, then recorded;
- a crash between the provider and our database never charges or refunds twice: the provider is
  asked what it already did before any retry, and `manage.py reconcile` lists what is left.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, NotFound
from escrow import commitments, ledger, rules
from escrow.gateway import Payment, Refund, get_gateway
from escrow.models import Commitment, Deposit, ProcessedEvent, Registration
from lots.access import is_judge_of
from lots.models import EnforcementCase, PriorityHolder, Round
from notifications import kinds
from notifications.services import notify

logger = logging.getLogger("escrow")

RegStatus = Registration.Status
# A refund claimed by a worker that then died is claimed again after this long (the provider is
# asked first what it already did, so a refund that did go through is found, never asked twice).
REFUND_CLAIM_TTL = timedelta(minutes=2)


def _violation_error(v, status: int = 403) -> DomainError:
    return DomainError(v.code, str(v), status=status)


# --- locks (escrow's own rows only) ---------------------------------------------------------------

def lock_registration(registration_id: int) -> Registration:
    return Registration.objects.select_for_update(of=("self",)).get(pk=registration_id)


def lock_deposit(registration_id: int) -> Deposit | None:
    return Deposit.objects.select_for_update(of=("self",)).filter(registration_id=registration_id).first()


# --- registration and the deposit payment ------------------------------------------------------

def register(user, /, *, round_id: int, declaration: commitments.Declaration | None = None) -> tuple[Registration, dict]:
    """A bidder registers for a round: eligibility first (no money moves for a barred bidder), then the
    commitment (read, accepted, signed, declared: escrow.commitments), then the deposit payment."""
    rnd = Round.objects.select_related("lot__case").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    v = rules.check_bidder_eligible(user, rnd)
    if v:
        raise _violation_error(v, 403)
    v = rules.check_registration_open(rnd.status, rnd.ends_at, clock.now())
    if v:
        raise _violation_error(v, 409)
    prepared = commitments.prepare(user, rnd, declaration) if declaration is not None else None
    deposit = open_registration(user, rnd=rnd, commitment=prepared)
    return deposit.registration, payment_info(deposit)


def open_registration(user, /, *, rnd: Round, provider: str | None = None, commitment: commitments.Prepared | None = None) -> Deposit:
    """The registration row and its deposit, then the provider payment (idempotent per bidder and round)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                reg, created = Registration.objects.get_or_create(
                    round=rnd, bidder=user, defaults={"status": RegStatus.PENDING, "created_at": clock.now()},
                )
        except IntegrityError:  # the same bidder registering twice at once: the other request made it
            reg, created = Registration.objects.get(round=rnd, bidder=user), False
        reg = lock_registration(reg.pk)
        if not created and reg.status not in {RegStatus.PENDING, RegStatus.HELD}:
            raise Conflict(ErrorCode.ALREADY_REGISTERED, f"已报名，状态：{reg.get_status_display()} / already registered ({reg.status})")
        if commitment is not None:
            commitments.record(reg, commitment, actor=user)
        # A17 deposit; A26/A37: a sell-off holds the full price (escrow.rules.amount_to_hold)
        deposit, _ = Deposit.objects.get_or_create(
            registration=reg, defaults={"amount": rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price), "provider": provider or settings.PAYMENT_PROVIDER, "created_at": clock.now()},
        )
        if created:
            audit.record("registration.created", reg, actor=user, data={"round": rnd.pk, "deposit": deposit.amount, "provider": deposit.provider})
    deposit.registration = reg
    if reg.status == RegStatus.PENDING:
        deposit = ensure_payment(user, deposit=deposit)
    return deposit


def _payment_key(deposit: Deposit) -> str:
    return f"deposit:reg:{deposit.registration_id}:{int(deposit.created_at.timestamp())}"


def ensure_payment(actor: Any, /, *, deposit: Deposit) -> Deposit:
    """Start the provider payment once: asked for before any lock (idempotency key per registration),
    stored under the registration's lock; a second payment made meanwhile by a racing request is
    cancelled at the provider."""
    if deposit.payment_intent_id:
        return deposit
    reg = Registration.objects.select_related("round__lot__case").get(pk=deposit.registration_id)
    gw = get_gateway(deposit.provider)
    payment = gw.create_payment(
        deposit.amount, idempotency_key=_payment_key(deposit),
        metadata={"kind": "deposit", "registration": str(reg.pk), "round": str(reg.round_id), "case": reg.round.lot.case.case_number},
    )
    with transaction.atomic():
        lock_registration(reg.pk)
        d = lock_deposit(reg.pk)
        if d.payment_intent_id:
            if d.payment_intent_id != payment.id:
                duplicate, provider = payment.id, d.provider
                transaction.on_commit(lambda: _cancel_quietly(provider, duplicate))
            return d
        d.payment_intent_id = payment.id
        d.client_secret = payment.client_secret
        d.provider_status = payment.status
        d.save(update_fields=["payment_intent_id", "client_secret", "provider_status"])
        audit.record("deposit.payment_started", d, chain=reg, actor=actor, data={"payment_intent": payment.id, "amount": d.amount})
    return d


def _cancel_quietly(provider: str, payment_id: str) -> None:
    try:
        get_gateway(provider).cancel_payment(payment_id)
    except DomainError as e:  # already paid or gone: reconciliation lists it
        logger.warning("could not cancel payment %s: %s", payment_id, e.message)


def payment_info(deposit: Deposit) -> dict:
    info = {"provider": deposit.provider, "payment_intent": deposit.payment_intent_id, "amount": deposit.amount}
    reg_id = deposit.registration_id
    if deposit.provider == "stripe":
        info["client_secret"] = deposit.client_secret
        info["publishable_key"] = settings.STRIPE_PUBLISHABLE_KEY
    else:
        # The sandbox's "confirm url" is an API call (POST, the token authenticates it, no CSRF token
        # needed); the browser page with its pay button is pay_page_url.
        info["confirm_url"] = f"/api/v1/registrations/{reg_id}/confirm/"
        info["pay_page_url"] = f"/escrow/sandbox/pay/{reg_id}/"
    if settings.CLOCK_ADVANCE_ALLOWED:
        # Test/demo mode: API clients may confirm server-side with a test card; browsers use the pay page.
        info["test_pay_url"] = f"/api/v1/registrations/{reg_id}/pay/"
        info["pay_page_url"] = f"/escrow/sandbox/pay/{reg_id}/"
    return info


def own_registration(user, /, *, registration_id: int, allow_court: bool = False) -> Registration:
    reg = Registration.objects.select_related("round__lot__case__court", "bidder").filter(pk=registration_id).first()
    if reg is None:
        raise NotFound("报名记录不存在 / no such registration")
    if reg.bidder_id == user.pk:
        return reg
    if allow_court and (getattr(user, "is_operator", False) or is_judge_of(user, reg.round)):
        return reg
    raise NotFound("报名记录不存在 / no such registration")


CONFIRMABLE = {"requires_payment_method", "requires_confirmation"}
# How long a click whose confirmation the provider refused waits for the other click's charge to finish.
SETTLE_WAIT = timedelta(seconds=15)
SETTLE_POLL = 0.25  # seconds between two looks at the provider


def _settled_payment(gw, payment_id: str) -> Payment:
    """The payment once the provider is done with a confirmation in flight (another click's): asked
    again every SETTLE_POLL s while it still waits for that confirmation, for at most SETTLE_WAIT.
    No lock is held meanwhile."""
    deadline = time.monotonic() + SETTLE_WAIT.total_seconds()
    while True:
        payment = gw.retrieve_payment(payment_id)
        if payment.status not in {"requires_confirmation", "processing"} or time.monotonic() >= deadline:
            return payment
        time.sleep(SETTLE_POLL)


def pay_with_test_card(user, /, *, registration_id: int, card: dict) -> Registration:
    """Test/demo mode only: confirm the deposit server-side with a test card, then act on the provider's answer.

    Idempotent: a second call (a double click) while or after the first one paid answers the same
    registration, never a second charge or an error."""
    if not settings.CLOCK_ADVANCE_ALLOWED:
        raise NotFound()
    reg = own_registration(user, registration_id=registration_id)
    if reg.status != RegStatus.PENDING:
        return reg
    deposit = ensure_payment(user, deposit=Deposit.objects.get(registration=reg))
    gw = get_gateway(deposit.provider)
    current = gw.retrieve_payment(deposit.payment_intent_id)
    if current.status in CONFIRMABLE:
        try:
            gw.confirm_with_card(deposit.payment_intent_id, card)
        except DomainError:
            # The other click is confirming the same payment: the provider refuses a second
            # confirmation (already charged, or busy charging it). Its charge decides, as for that click.
            if _settled_payment(gw, deposit.payment_intent_id).status != "succeeded":
                raise
    sync_deposit(user, deposit=deposit)
    reg.refresh_from_db()
    return reg


def sandbox_pay(user, /, *, registration_id: int) -> Registration:
    """The 'pay' click on the sandbox page (embedded provider)."""
    reg = own_registration(user, registration_id=registration_id)
    if reg.status != RegStatus.PENDING:
        return reg
    deposit = ensure_payment(user, deposit=Deposit.objects.get(registration=reg))
    if deposit.provider != "sandbox":
        raise DomainError(ErrorCode.WRONG_PROVIDER, "该保证金不是通过沙箱支付的 / this deposit is not paid through the sandbox")
    get_gateway("sandbox").pay(deposit.payment_intent_id)
    sync_deposit(user, deposit=deposit)
    reg.refresh_from_db()
    return reg


def recheck_registration(user, /, *, registration_id: int) -> Registration:
    reg = own_registration(user, registration_id=registration_id, allow_court=True)
    deposit = Deposit.objects.filter(registration=reg).first()
    if deposit and deposit.payment_intent_id:
        sync_deposit(user, deposit=deposit)
        reg.refresh_from_db()
    return reg


# --- acting on the provider's state --------------------------------------------------------------

def _fetch(deposit: Deposit) -> tuple[Payment, list[Refund]]:
    gw = get_gateway(deposit.provider)
    payment = gw.retrieve_payment(deposit.payment_intent_id)
    refunds = gw.list_refunds(deposit.payment_intent_id) if payment.status == "succeeded" else []
    return payment, refunds


def sync_deposit(actor: Any, /, *, deposit: Deposit, event: dict | None = None) -> str:
    """Ask the provider for the real state of the deposit's payment (no lock held), then act on it (idempotent)."""
    payment, refunds = _fetch(deposit)
    return apply_deposit_state(actor, deposit_id=deposit.pk, payment=payment, refunds=refunds, event=event)


def mark_event(event: dict | None, object_id: str) -> bool:
    """Record the event as processed; False when it already was (inside the caller's transaction)."""
    if not event:
        return True
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(event_id=event["id"], type=event.get("type", ""), object_id=object_id, processed_at=clock.now())
    except IntegrityError:
        return False
    return True


def apply_deposit_state(actor: Any, /, *, deposit_id: int, payment: Payment, refunds: list[Refund], event: dict | None = None) -> str:
    """Act on what the provider said of a deposit's payment: held, cancelled or released."""
    with transaction.atomic():
        if not mark_event(event, payment.id):
            return "duplicate"
        registration_id = Deposit.objects.values_list("registration_id", flat=True).get(pk=deposit_id)
        reg = lock_registration(registration_id)
        d = lock_deposit(registration_id)
        outcome = "unchanged"
        d.provider_status = payment.status
        d.checked_at = clock.now()
        d.save(update_fields=["provider_status", "checked_at"])
        if payment.id != d.payment_intent_id:
            return outcome  # a duplicate payment of a racing request: cancelled, never held
        if payment.status == "succeeded" and reg.status in {RegStatus.PENDING, RegStatus.CANCELLED}:
            if payment.amount != d.amount:
                logger.error("deposit %s: provider amount %s differs from %s", d.pk, payment.amount, d.amount)
                raise Conflict(ErrorCode.AMOUNT_MISMATCH, "支付金额与保证金不符 / the paid amount differs from the deposit")
            _hold(d, reg, actor=actor)
            outcome = "held"
        elif payment.status == "canceled" and reg.status == RegStatus.PENDING:
            reg.status = RegStatus.CANCELLED
            reg.save(update_fields=["status"])
            audit.record("registration.cancelled", reg, actor=actor, data={"payment_intent": payment.id})
            outcome = "cancelled"
        done = [r for r in refunds if r.status == "succeeded"]
        if done and reg.status == RegStatus.HELD:
            _record_release(d, reg, done[0], actor=actor)
            outcome = "released"
        elif done and reg.status in {RegStatus.APPLIED, RegStatus.FORFEITED}:
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
    raise Conflict(ErrorCode.CODE_EXHAUSTED, "无法生成竞买代码 / could not issue a bidder code")


def _hold(d: Deposit, reg: Registration, actor=None) -> None:
    """The deposit is held (A17): into the ledger, a bidder code issued (A18), the priority rank (A19)."""
    rnd = Round.objects.select_related("lot__case").get(pk=reg.round_id)
    now = clock.now()
    ledger.post(
        "deposit_held",
        [ledger.Line(ledger.provider_cash_account(), debit=d.amount), ledger.Line(ledger.deposit_account(reg), credit=d.amount)],
        memo=f"保证金到账 登记#{reg.pk} (A17)", idempotency_key=f"deposit_held:{d.payment_intent_id}",
        case=rnd.lot.case, round=rnd, external_ref=d.payment_intent_id or "", actor=actor,
    )
    if not reg.code:
        _issue_code(reg)
    id_number = (reg.bidder.id_number or "-") if reg.bidder_id else "-"
    holder = PriorityHolder.objects.filter(lot_id=rnd.lot_id, id_number__iexact=id_number).order_by("rank").first()
    signed = Commitment.objects.filter(registration=reg).first()
    if signed is not None:  # A19: with a signed commitment, the right counts only when declared (and matched then)
        holder = signed.priority_holder
    reg.priority_rank = holder.rank if holder else None
    reg.status = RegStatus.HELD
    reg.held_at = now
    reg.save(update_fields=["status", "held_at", "priority_rank"])
    d.held_at = now
    d.save(update_fields=["held_at"])
    audit.record("deposit.held", reg, actor=actor, data={"round": rnd.pk, "amount": d.amount, "payment_intent": d.payment_intent_id,
                                                          "code": reg.code, "priority_rank": reg.priority_rank})


def _record_release(d: Deposit, reg: Registration, refund: Refund, actor=None) -> None:
    rnd = Round.objects.select_related("lot__case").get(pk=reg.round_id)
    ledger.post(
        "deposit_released",
        [ledger.Line(ledger.deposit_account(reg), debit=refund.amount), ledger.Line(ledger.provider_cash_account(), credit=refund.amount)],
        memo=f"保证金退还 登记#{reg.pk} (A23)", idempotency_key=f"deposit_released:{refund.id}",
        case=rnd.lot.case, round=rnd, external_ref=refund.id, actor=actor,
    )
    now = clock.now()
    reg.status = RegStatus.RELEASED
    reg.save(update_fields=["status"])
    d.refund_id = refund.id
    d.released_at = now
    d.last_error = ""
    d.save(update_fields=["refund_id", "released_at", "last_error"])
    audit.record("deposit.released", reg, actor=actor, data={"round": rnd.pk, "amount": refund.amount, "refund": refund.id})
    tell_released(reg, rnd, refund.amount)


def tell_released(reg: Registration, rnd: Round, amount: int) -> None:
    """保证金已退还: the bidder hears of it once (the notifications outbox, in this transaction)."""
    notify(reg.bidder_id, kinds.DEPOSIT_RELEASED.name, key=f"deposit_released:{reg.pk}", url="/me/deposits/",
           data=kinds.round_data(rnd, amount=amount))


# --- releases (A23, A28) ---------------------------------------------------------------------------

class Release(StrEnum):
    """What `release_deposit` did (its return value)."""

    NO_PAYMENT = "no_payment"  # nothing was ever paid
    NOT_HELD = "not_held"  # released, applied or forfeited already
    IN_PROGRESS = "in_progress"  # another worker is asking the provider right now
    RETRY_LATER = "retry_later"  # the provider failed earlier refunds: the back-off has not passed
    RELEASED = "released"
    PENDING = "refund_pending"  # the provider accepted the refund; it completes later (webhook / re-check)
    FAILED = "refund_failed"  # the provider refused it: tried again later
    ERROR = "error"  # the provider could not be reached: tried again on the next tick


def _claim_refund(registration_id: int, now) -> Release | None:
    """Claim the right to ask the provider for this refund (a short transaction, no provider call).
    None when the claim is ours, else why not."""
    with transaction.atomic():
        reg = lock_registration(registration_id)
        d = lock_deposit(registration_id)
        if reg.status != RegStatus.HELD:
            return Release.NOT_HELD
        if d.refund_attempted_at and now - d.refund_attempted_at < REFUND_CLAIM_TTL and not d.last_error:
            return Release.IN_PROGRESS
        d.refund_attempted_at = now
        d.attempts += 1
        d.refund_requested_at = d.refund_requested_at or now
        d.save(update_fields=["refund_attempted_at", "attempts", "refund_requested_at"])
    return None


def release_deposit(actor: Any, /, *, deposit: Deposit, reason: str = "") -> Release:
    """Refund a held deposit through the provider and record it (A23, A28). Safe to retry at any point.
    Returns one of the `Release` outcomes."""
    if not deposit.payment_intent_id:
        return Release.NO_PAYMENT
    gw = get_gateway(deposit.provider)
    try:
        # Look first: a previous attempt may have refunded and crashed before writing.
        seen = gw.list_refunds(deposit.payment_intent_id)
        refunds = [r for r in seen if r.status in {"succeeded", "pending"}]
        now = clock.now()
        if not refunds:
            failed = sum(1 for r in seen if r.status in {"failed", "canceled"})
            retry_at = rules.refund_retry_at(failed, deposit.refund_attempted_at) if failed else None
            if retry_at is not None and now < retry_at:
                return Release.RETRY_LATER
            refusal = _claim_refund(deposit.registration_id, now)
            if refusal:
                return refusal
            # Refunds the provider failed are asked for again, later each time (A23); each new request
            # has a key of its own, or the provider would answer with the failed one.
            key = f"release:reg:{deposit.registration_id}:{int(deposit.created_at.timestamp())}" + (f":retry{failed}" if failed else "")
            refunds = [gw.refund(deposit.payment_intent_id, deposit.amount, idempotency_key=key, metadata={
                "kind": "deposit_release", "registration": str(deposit.registration_id), "round": str(deposit.registration.round_id)})]
    except DomainError as e:
        Deposit.objects.filter(pk=deposit.pk).update(last_error=e.message[:500])
        logger.warning("release of deposit %s failed: %s", deposit.pk, e.message)
        return Release.ERROR
    refund = refunds[0]
    with transaction.atomic():
        reg = lock_registration(deposit.registration_id)
        d = lock_deposit(deposit.registration_id)
        if reg.status != RegStatus.HELD:
            return Release.NOT_HELD
        d.refund_id = refund.id
        if refund.status == "succeeded":
            _record_release(d, reg, refund, actor=actor)
            if reason:
                audit.record("deposit.release_reason", reg, actor=actor, data={"reason": reason})
            return Release.RELEASED
        if refund.status in {"failed", "canceled"}:  # refused by the provider at once
            d.last_error = f"退款失败，将重试 / the provider failed refund {refund.id}; it will be tried again"
            d.save(update_fields=["refund_id", "last_error"])
            logger.warning("refund %s of deposit %s %s at the provider", refund.id, d.pk, refund.status)
            return Release.FAILED
        d.save(update_fields=["refund_id"])
        return Release.PENDING


def release_round_deposits(actor: Any, /, *, round_id: int, reason: str = "") -> int:
    """Release at once every held deposit the round no longer needs (A28: on withdrawal; also after the close).

    The clock does the same on each tick; the withdrawal hook below calls it on commit to act at once.
    """
    rnd = Round.objects.get(pk=round_id)
    now = clock.now()
    done = 0
    for d in Deposit.objects.filter(registration__round=rnd, registration__status=RegStatus.HELD).select_related("registration"):
        what = rules.deposit_disposition(rnd.status, rnd.leader_id == d.registration_id, rnd.suspended_at, now,
                                         has_leader=rnd.leader_id is not None)
        if what == "release" and release_deposit(actor, deposit=d, reason=reason or f"round {rnd.status}") == Release.RELEASED:
            done += 1
    return done


def on_round_status_changed(sender, *, round_id: int, status: str, actor=None, **_: object) -> None:
    """Receiver of lots.signals.round_status_changed (on commit): A28, a withdrawn round's deposits go back at once.
    Best effort: whatever fails here the escrow clock releases on its next tick."""
    if status == Round.Status.WITHDRAWN:
        reason = Round.objects.filter(pk=round_id).values_list("status_reason", flat=True).first() or ""
        release_round_deposits(actor if hasattr(actor, "pk") else None, round_id=round_id, reason=f"撤回拍卖：{reason}")


def on_case_opened(sender, *, case_id: int, **_: object) -> None:
    """Receiver of lots.signals.case_opened: the case's own account (一案一账号)."""
    ledger.case_account(EnforcementCase.objects.get(pk=case_id))


def apply_winner_deposit(actor: Any, /, *, reg: Registration) -> bool:
    """A23/A25: the winner's deposit moves into the case account and counts toward the price."""
    with transaction.atomic():
        reg = lock_registration(reg.pk)
        d = lock_deposit(reg.pk)
        if reg.status != RegStatus.HELD or d is None:
            return False
        rnd = Round.objects.select_related("lot__case").get(pk=reg.round_id)
        ledger.post(
            "deposit_applied",
            [ledger.Line(ledger.deposit_account(reg), debit=d.amount), ledger.Line(ledger.case_account(rnd.lot.case), credit=d.amount)],
            memo=f"买受人保证金转入案款 (A25) 第{rnd.number}次拍卖", idempotency_key=f"deposit_applied:reg:{reg.pk}",
            case=rnd.lot.case, round=rnd, external_ref=d.payment_intent_id or "", actor=actor,
        )
        reg.status = RegStatus.APPLIED
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
    return apply_deposit_state(None, deposit_id=deposit.pk, payment=payment, refunds=refunds)


def retry_payment(deposit: Deposit, now) -> bool:
    """A pending registration whose deposit got no provider payment (the provider failed while the
    bidder registered): the payment is asked for again, with the same idempotency key, so a payment
    the provider did make but never told us about is the one found. True once it has one."""
    Deposit.objects.filter(pk=deposit.pk).update(checked_at=now)  # the next try comes after RECHECK_EVERY
    return bool(ensure_payment(None, deposit=deposit).payment_intent_id)


def cancel_without_payment(registration_id: int, *, reason: str) -> bool:
    """A pending registration whose deposit never got a provider payment, for a round that no longer
    takes registrations: cancelled (nothing was ever charged)."""
    with transaction.atomic():
        reg = lock_registration(registration_id)
        d = lock_deposit(registration_id)
        if reg.status != RegStatus.PENDING or (d is not None and d.payment_intent_id):
            return False
        reg.status = RegStatus.CANCELLED
        reg.save(update_fields=["status"])
        audit.record("registration.cancelled", reg, data={"reason": reason, "payment_intent": None})
    return True
