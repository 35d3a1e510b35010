"""Writes of the bank path: registering (routed by size), the balance by transfer, payment
instructions back to the payer, the operator's suspense decisions. Statement imports are in
escrow/bank/matching.py. Money moves only through `ledger.post()`.

Locks: escrow's own rows only, in the site's order (round → registration → deposit → balance
payment → ledger accounts). No bank call is ever made under a lock: an instruction is a file the
bank collects; its effect is known only from a later statement.
"""

from __future__ import annotations

import logging
import secrets

from django.db import IntegrityError, transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from escrow import balances, commitments, ledger, rules
from escrow import services as escrow_services
from escrow.bank import accounts, payfile
from escrow.bank.models import BankEntry, BankInstruction, CaseBankAccount, PaymentReference
from escrow.models import BalancePayment, Deposit, Registration
from lots import rounds
from lots.models import Round

logger = logging.getLogger("escrow.bank")
Status = Registration.Status
BANK = "bank"


# --- registering: the route by size ---------------------------------------------------------------

def register(user, /, *, round_id: int, declaration: commitments.Declaration | None = None) -> tuple[Registration, dict]:
    """A bidder registers: barred bidders are refused first; then the amount to hold decides the path.
    Within the card provider's limit: the card path (escrow.services.register). Over it: a payment
    reference into the case account, never a card payment."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    amount = rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price)
    existing = Deposit.objects.filter(registration__round=rnd, registration__bidder=user).first()
    if rules.payment_route(amount) == "card" and (existing is None or existing.provider != BANK):
        return escrow_services.register(user, round_id=round_id, declaration=declaration)
    v = rules.check_bidder_eligible(user, rnd)
    if v:
        raise DomainError(v.code, str(v), status=403)
    v = rules.check_registration_open(rnd.status, rnd.ends_at, clock.now())
    if v:
        raise DomainError(v.code, str(v), status=409)
    prepared = commitments.prepare(user, rnd, declaration) if declaration is not None else None
    reg, pr = open_bank_registration(user, rnd=rnd, amount=amount, commitment=prepared)
    return reg, accounts.payment_info(pr)


def open_bank_registration(user, /, *, rnd: Round, amount: int,
                           commitment: commitments.Prepared | None = None) -> tuple[Registration, PaymentReference]:
    """The registration, its deposit (provider 'bank') and its payment reference; idempotent per bidder and round."""
    account = accounts.account_for(rnd.lot.case)
    with transaction.atomic():
        try:
            with transaction.atomic():
                reg, created = Registration.objects.get_or_create(
                    round=rnd, bidder=user, defaults={"status": Status.PENDING, "created_at": clock.now()})
        except IntegrityError:
            reg, created = Registration.objects.get(round=rnd, bidder=user), False
        reg = escrow_services.lock_registration(reg.pk)
        if not created and reg.status not in {Status.PENDING, Status.HELD}:
            raise Conflict(ErrorCode.ALREADY_REGISTERED, f"已报名，状态：{reg.get_status_display()} / already registered ({reg.status})")
        if commitment is not None:
            commitments.record(reg, commitment, actor=user)
        deposit, _ = Deposit.objects.get_or_create(
            registration=reg, defaults={"amount": amount, "provider": BANK, "created_at": clock.now()})
        pr = PaymentReference.objects.filter(registration=reg, purpose=PaymentReference.Purpose.DEPOSIT).first()
        if pr is None:
            pr = accounts.create_reference(account, purpose=PaymentReference.Purpose.DEPOSIT, registration=reg, amount=deposit.amount,
                                           due_at=rules.reference_due_at(rnd.ends_at))
            audit.record("registration.created" if created else "deposit.bank_reference", reg, actor=user, data={
                "round": rnd.pk, "deposit": deposit.amount, "provider": BANK, "reference": pr.reference,
                "virtual_account": pr.virtual_account or ""})
    return reg, pr


def reference_for(registration: Registration) -> PaymentReference | None:
    return PaymentReference.objects.select_related("account").filter(
        registration=registration, purpose=PaymentReference.Purpose.DEPOSIT).first()


# --- the balance (A25) and a sell-off's price (A26/A37) ---------------------------------------------

def pay_balance(user, /, *, round_id: int) -> tuple[BalancePayment | None, dict]:
    """A25: the winner pays sold_price − deposit. Over the card provider's limit: a payment reference."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise NotFound("拍卖不存在 / no such round")
    winner = Registration.objects.filter(pk=rnd.leader_id).first() if rnd.leader_id else None
    if winner is None or winner.bidder_id != user.pk:
        raise Forbidden("只有买受人可以支付尾款 / only the buyer pays the balance", code=ErrorCode.NOT_WINNER)
    if rnd.status != Round.Status.SOLD:
        raise Conflict(ErrorCode.NOT_SOLD, f"该拍卖状态为 {rnd.status}，不能支付尾款 / the round is not awaiting the balance")
    escrow_services.apply_winner_deposit(user, reg=winner)
    remaining = balances.balance_remaining(rnd)
    if remaining > 0 and rules.payment_route(remaining) == "card":
        return balances.start_balance_payment(user, round_id=round_id)
    if remaining <= 0:
        settle_if_paid(user, round_id=rnd.pk)
        return None, {"provider": None, "amount": 0}
    account = accounts.account_for(rnd.lot.case)
    with transaction.atomic():
        rnd = rounds.lock(rnd.pk, related=("lot__case",))
        bp = (BalancePayment.objects.select_for_update(of=("self",))
              .filter(round=rnd, method=BalancePayment.Method.TRANSFER, provider=BANK, status=BalancePayment.Status.PENDING)
              .order_by("-pk").first())
        if bp is None:
            bp = BalancePayment.objects.create(round=rnd, registration_id=rnd.leader_id, method=BalancePayment.Method.TRANSFER,
                                               provider=BANK, amount=remaining, created_at=clock.now())
            pr = accounts.create_reference(account, purpose=PaymentReference.Purpose.BALANCE, registration=winner, amount=remaining,
                                           due_at=rnd.balance_due_at or rnd.ends_at, balance_payment=bp)
            bp.reference = pr.reference
            bp.save(update_fields=["reference"])
            audit.record("balance.bank_reference", bp, chain=rnd, actor=user, data={"round": rnd.pk, "amount": remaining, "reference": pr.reference})
        pr = PaymentReference.objects.select_related("account").get(balance_payment=bp)
    return bp, accounts.payment_info(pr)


def ensure_card_fits(round_id: int) -> None:
    """Refuse a card payment of a balance over the card provider's limit (409), before anything is sent to it."""
    rnd = Round.objects.filter(pk=round_id).first()
    if rnd is not None and rnd.sold_price is not None:
        remaining = balances.balance_remaining(rnd)
        if remaining > 0 and rules.payment_route(remaining) == "bank":
            raise Conflict(ErrorCode.AMOUNT_OVER_CARD_LIMIT, rules.ROUTE_REASONS["bank"])


def settle_if_paid(actor, /, *, round_id: int) -> bool:
    """Sold → paid once the price is covered: the deposit applied (a sell-off's full price, A26/A37) and every balance payment."""
    with transaction.atomic():
        rnd = rounds.lock(round_id)
        if rnd.status != Round.Status.SOLD or rnd.sold_price is None or balances.balance_remaining(rnd) > 0:
            return False
        if rnd.leader_id and Registration.objects.filter(pk=rnd.leader_id, status=Status.HELD).exists():
            return False  # the deposit is not yet in the case account
        rounds.change_status(rnd, Round.Status.PAID, actor=actor, data={
            "sold_price": rnd.sold_price, "deposit": balances.winner_deposit_amount(rnd), "balance": balances.balance_paid(rnd)})
    return True


# --- transfers back to the payer (A23) -------------------------------------------------------------

def _e2e() -> str:
    return "E2E" + secrets.token_hex(10).upper()


def new_instruction(account: CaseBankAccount, *, kind: str, entry: BankEntry, amount: int, due_at, registration=None) -> BankInstruction | None:
    """One transfer back to the account the money came from (the debtor account of the statement entry,
    never one typed by anyone), as a pain.001 file. Without a source account: None (the operator's list)."""
    existing = BankInstruction.objects.filter(source_entry=entry, kind=kind).first()
    if existing:
        return existing
    if not entry.payer_account:
        logger.warning("entry %s has no debtor account: its refund waits for the operator", entry.entry_ref)
        return None
    now = clock.now()
    e2e = _e2e()
    what = "退还竞买保证金" if kind == BankInstruction.Kind.RELEASE else "退回款项"
    content = payfile.writer().write(
        message_id=e2e, created_at=now, execute_on=now.date(), debtor=payfile.Party(account.account_name, account.account_number),
        transfers=[payfile.Transfer(e2e, amount, payfile.Party(entry.payer_name or "-", entry.payer_account), f"{what} {entry.entry_ref}")])
    ins = BankInstruction.objects.create(account=account, kind=kind, source_entry=entry, registration=registration, amount=amount,
                                         creditor_name=entry.payer_name or "-", creditor_account=entry.payer_account, end_to_end_id=e2e,
                                         payment_file=content, due_at=due_at, created_at=now)
    audit.record("bank.instruction", ins, chain=registration or entry.reference or ins, data={
        "kind": kind, "amount": amount, "end_to_end_id": e2e, "creditor_account": entry.payer_account, "source_entry": entry.entry_ref})
    return ins


def instruct_release(actor, /, *, registration_id: int, reason: str = "") -> int:
    """A23/A28: a bank deposit the round no longer needs goes back, each credit to its own source
    account. The deposit stays held until the bank's statement confirms the transfer."""
    now = clock.now()
    with transaction.atomic():
        reg = escrow_services.lock_registration(registration_id)
        d = escrow_services.lock_deposit(registration_id)
        if d is None or d.provider != BANK or reg.status in {Status.RELEASED, Status.APPLIED, Status.FORFEITED}:
            return 0
        rnd = Round.objects.select_related("lot__case").get(pk=reg.round_id)
        due = rules.release_deadline(rnd.closed_at or rnd.withdrawn_at or now) if (rnd.closed_at or rnd.withdrawn_at) else now + rules.RELEASE_WITHIN
        made = 0
        credits = BankEntry.objects.filter(reference__registration=reg, reference__purpose=PaymentReference.Purpose.DEPOSIT,
                                           direction="CRDT", held__gt=0, reversed_by__isnull=True).select_related("account")
        for entry in credits:
            if not entry.instructions.filter(kind=BankInstruction.Kind.RELEASE).exists():
                if new_instruction(entry.account, kind=BankInstruction.Kind.RELEASE, entry=entry, amount=entry.held, due_at=due,
                                   registration=reg):
                    made += 1
        if made:
            d.refund_requested_at = d.refund_requested_at or now
            d.release_due_at = d.release_due_at or due
            d.save(update_fields=["refund_requested_at", "release_due_at"])
            audit.record("deposit.release_instructed", reg, actor=actor, data={"round": rnd.pk, "instructions": made, "reason": reason})
    return made


# --- the operator's decisions on suspense ------------------------------------------------------------

def ensure_operator(user) -> None:
    if not getattr(user, "is_operator", False):
        raise Forbidden("仅平台运营人员可以处理银行来款 / only operators handle bank credits")


def return_suspense(operator, /, *, entry_id: int, note: str = "") -> BankInstruction:
    """Send an unidentified credit back to the account it came from."""
    ensure_operator(operator)
    with transaction.atomic():
        entry = BankEntry.objects.select_for_update(of=("self",)).select_related("account__case").filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("银行分录不存在 / no such entry")
        if entry.suspense <= 0:
            raise Conflict(ErrorCode.NOT_IN_SUSPENSE, "该笔来款不在挂账中 / this credit is not in suspense")
        if not entry.payer_account:
            raise Conflict(ErrorCode.NO_SOURCE_ACCOUNT, "对账单未提供付款账户，无法原路退回 / the statement gives no debtor account to return to")
        case = entry.account.case
        amount = entry.suspense
        ledger.post("bank_suspense_returned", [ledger.Line(accounts.suspense(case), debit=amount), ledger.Line(accounts.refund_due(case), credit=amount)],
                    memo=f"挂账款原路退回 {entry.entry_ref}", idempotency_key=f"bank_suspense_returned:{entry.pk}", case=case,
                    external_ref=entry.entry_ref, actor=operator)
        entry.suspense, entry.refunded = 0, entry.refunded + amount
        entry.resolved_by, entry.resolved_at, entry.note = operator, clock.now(), note[:500]
        entry.save(update_fields=["suspense", "refunded", "resolved_by", "resolved_at", "note"])
        ins = new_instruction(entry.account, kind=BankInstruction.Kind.RETURN, entry=entry, amount=amount,
                              due_at=clock.now() + rules.RELEASE_WITHIN)
    return ins

