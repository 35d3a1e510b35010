"""Importing a bank statement and matching each of its entries (one balanced ledger transaction each).

- a credit is matched by the payment reference it quotes (or the virtual sub-account it was paid
  into) and its amount, by `escrow.rules.credit_verdict`: exact → the deposit is held and the bidder
  code issued (A18); short → held as partial, the bidder sees what is missing; over → what is owed
  is held, the excess goes back; late (A17: after bidding ended) or for a closed reference → back in
  full; no reference → the case's suspense account, listed for the operator, never lost;
- a debit confirms our own payment instruction (by its EndToEndId and amount): a released deposit or
  a returned credit leaves the ledger only then;
- a reversal (RvslInd) undoes the credit it reverses where nothing has been done with that money yet;
- an entry is booked once per bank entry reference: importing the same statement twice changes nothing.

Locks: the case bank account row first (it serialises the imports of one account; no other writer
locks it), then the site's order: round → registration → deposit → balance payment → ledger accounts.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, ErrorCode, NotFound
from escrow import balances, ledger, rules
from escrow import services as escrow_services
from escrow.bank import accounts, services
from escrow.bank.models import BankEntry, BankInstruction, BankStatement, CaseBankAccount, PaymentReference
from escrow.bank.statements import Entry, Statement, StatementError, parse
from escrow.models import BalancePayment, LedgerAccount, LedgerTransaction, Registration
from lots import rounds
from lots.models import PriorityHolder, Round

logger = logging.getLogger("escrow.bank")
Status = Registration.Status
Verdict = BankEntry.Verdict
_REFERENCE = re.compile(r"RF[0-9]{2}[0-9A-Z]{9}")


@dataclass
class ImportResult:
    statements: list[int] = field(default_factory=list)
    new: int = 0
    seen: int = 0
    duplicate: bool = False
    verdicts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"statements": self.statements, "new_entries": self.new, "already_imported": self.seen,
                "duplicate": self.duplicate, "verdicts": self.verdicts}


def _account_of(st: Statement) -> tuple[CaseBankAccount, str]:
    """The case account a statement is for (or the case account behind a virtual sub-account)."""
    acct = CaseBankAccount.objects.select_related("case__court").filter(account_number=st.account_number).first()
    if acct is not None:
        return acct, ""
    pr = PaymentReference.objects.select_related("account__case__court").filter(virtual_account=st.account_number).first()
    if pr is not None:
        return pr.account, st.account_number
    raise StatementError(ErrorCode.UNKNOWN_ACCOUNT, f"账户 {st.account_number} 不是本平台的案款账户 / {st.account_number} is not a case account of this site")


def import_statement(actor, /, *, content: bytes, source: str) -> ImportResult:
    """Parse (4xx on anything unsound, nothing booked), then book every entry not booked before."""
    parsed = parse(content)
    targets = [(st, *_account_of(st)) for st in parsed]
    result = ImportResult()
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            for st, acct, virtual in sorted(targets, key=lambda t: t[1].pk):
                acct = CaseBankAccount.objects.select_for_update(of=("self",)).select_related("case__court").get(pk=acct.pk)
                key = hashlib.sha256(f"{digest}:{st.account_number}:{st.statement_id}".encode()).hexdigest()
                if BankStatement.objects.filter(sha256=key).exists():
                    result.duplicate = True
                    result.seen += len(st.entries)
                    continue
                stmt = BankStatement.objects.create(
                    account=acct, format=st.format, source=source, message_id=st.message_id[:140], statement_id=st.statement_id[:140],
                    sha256=key, opening_balance=st.opening_balance, closing_balance=st.closing_balance, closing_date=st.closing_date,
                    content=content, imported_by=actor if getattr(actor, "pk", None) else None, imported_at=clock.now())
                verdicts: Counter = Counter()
                for e in st.entries:
                    if virtual and not e.payee_account:
                        e = Entry(**{**e.__dict__, "payee_account": virtual})
                    if BankEntry.objects.filter(account=acct, entry_ref=e.entry_ref).exists():
                        result.seen += 1
                        continue
                    entry = book(acct, stmt, e, actor=actor)
                    verdicts[entry.verdict] += 1
                    result.new += 1
                stmt.entries_new, stmt.entries_seen = sum(verdicts.values()), len(st.entries) - sum(verdicts.values())
                stmt.save(update_fields=["entries_new", "entries_seen"])
                audit.record("bank.statement_imported", stmt, chain=acct, actor=actor if getattr(actor, "pk", None) else None, data={
                    "format": st.format, "message_id": st.message_id, "statement_id": st.statement_id, "source": source,
                    "closing_balance": st.closing_balance, "entries": dict(verdicts)})
                result.statements.append(stmt.pk)
                for k, v in verdicts.items():
                    result.verdicts[k] = result.verdicts.get(k, 0) + v
    except IntegrityError:
        # The same statement imported at the same moment by another request: that one booked it.
        logger.info("statement %s imported concurrently", digest)
        return ImportResult(duplicate=True, seen=sum(len(st.entries) for st in parsed))
    if not result.statements and result.seen and not result.new:
        result.duplicate = True
    return result


def book(acct: CaseBankAccount, stmt: BankStatement, e: Entry, *, actor=None) -> BankEntry:
    entry = BankEntry.objects.create(
        account=acct, statement=stmt, entry_ref=e.entry_ref[:140], direction=e.direction, reversal=e.reversal, amount=e.amount,
        booked_at=e.booked_at, remittance=e.remittance[:500], end_to_end_id=e.end_to_end_id[:140], payer_name=e.payer_name[:300],
        payer_account=e.payer_account[:60], payee_account=e.payee_account[:60], verdict=Verdict.UNKNOWN, created_at=clock.now())
    if e.direction == "CRDT":
        # A reversed debit (one of our transfers came back) is money in with no reference: suspense.
        pr = None if e.reversal else find_reference(acct, e)
        _credit(entry, pr, e.amount, debit=accounts.bank_cash(acct.case), kind="bank_credit",
                key=f"bank_credit:{acct.pk}:{entry.entry_ref}", actor=actor)
    elif e.reversal:
        _reverse_credit(entry, actor=actor)
    else:
        _confirm_instruction(entry, actor=actor)
    return entry


def find_reference(acct: CaseBankAccount, e: Entry) -> PaymentReference | None:
    """The payment reference a credit names: its virtual sub-account, else a valid RF reference in the
    payer's text (spaces, dashes and case ignored; the ISO 11649 check digits must hold)."""
    if e.payee_account:
        pr = PaymentReference.objects.filter(account=acct, virtual_account=e.payee_account).first()
        if pr is not None:
            return pr
    text = re.sub(r"[\s\-]", "", f"{e.remittance} {e.end_to_end_id}".upper())
    for m in _REFERENCE.finditer(text):
        if accounts.is_reference(m.group()):
            pr = PaymentReference.objects.filter(account=acct, reference=m.group()).first()
            if pr is not None:
                return pr
    return None


def _credit(entry: BankEntry, pr: PaymentReference | None, amount: int, *, debit: LedgerAccount, kind: str, key: str, actor=None) -> None:
    """Book `amount` of `entry` (from the bank, or from suspense) against `pr` by the A17 verdict."""
    case = entry.account.case
    if pr is None:
        ledger.post(kind, [ledger.Line(debit, debit=amount), ledger.Line(accounts.suspense(case), credit=amount)],
                    memo=f"无法识别的来款 {entry.entry_ref}：挂账待查", idempotency_key=key, case=case, external_ref=entry.entry_ref, actor=actor)
        entry.verdict, entry.suspense = Verdict.UNKNOWN, amount
        entry.save(update_fields=["verdict", "suspense"])
        return
    if pr.purpose == PaymentReference.Purpose.DEPOSIT:
        _credit_deposit(entry, pr, amount, debit=debit, kind=kind, key=key, actor=actor)
    else:
        _credit_balance(entry, pr, amount, debit=debit, kind=kind, key=key, actor=actor)
    if entry.refunded:
        services.new_instruction(entry.account, kind=BankInstruction.Kind.RETURN, entry=entry, amount=entry.refunded,
                                 due_at=clock.now() + rules.RELEASE_WITHIN, registration=pr.registration)


def _post_credit(entry, pr, v: rules.CreditVerdict, amount, *, debit, to: LedgerAccount, kind, key, rnd, actor) -> None:
    case = entry.account.case
    lines = [ledger.Line(debit, debit=amount)]
    if v.hold:
        lines.append(ledger.Line(to, credit=v.hold))
    if v.refund:
        lines.append(ledger.Line(accounts.refund_due(case), credit=v.refund))
    ledger.post(kind, lines, memo=f"银行来款 {entry.entry_ref} 参考号 {pr.reference}：{Verdict(v.kind).label}", idempotency_key=key,
                case=case, round=rnd, external_ref=entry.entry_ref, actor=actor)
    pr.received += v.hold
    if pr.received >= pr.amount:
        pr.status, pr.paid_at = PaymentReference.Status.PAID, pr.paid_at or clock.now()
    elif pr.received > 0:
        pr.status = PaymentReference.Status.PARTIAL
    pr.save(update_fields=["received", "status", "paid_at"])
    entry.verdict, entry.reference, entry.held, entry.refunded = v.kind, pr, v.hold, v.refund
    entry.save(update_fields=["verdict", "reference", "held", "refunded"])


def _credit_deposit(entry, pr, amount, *, debit, kind, key, actor) -> None:
    reg = escrow_services.lock_registration(pr.registration_id)
    d = escrow_services.lock_deposit(reg.pk)
    pr = PaymentReference.objects.select_for_update(of=("self",)).get(pk=pr.pk)
    rnd = Round.objects.select_related("lot__case").get(pk=reg.round_id)
    still_open = reg.status in {Status.PENDING, Status.HELD} and rnd.status != Round.Status.WITHDRAWN
    v = rules.credit_verdict(pr.amount, pr.received, amount, entry.booked_at, rules.reference_due_at(rnd.ends_at), still_open)
    _post_credit(entry, pr, v, amount, debit=debit, to=ledger.deposit_account(reg), kind=kind, key=key, rnd=rnd, actor=actor)
    audit.record("deposit.bank_credit", reg, actor=actor, data={
        "entry": entry.entry_ref, "amount": amount, "verdict": v.kind, "held": v.hold, "refund": v.refund, "missing": v.missing})
    if pr.received >= pr.amount and reg.status == Status.PENDING:
        _hold(reg, d, rnd, pr, actor=actor)


def _hold(reg: Registration, d, rnd: Round, pr: PaymentReference, actor=None) -> None:
    """The deposit is held (A17) from the bank: the bidder code is issued (A18), the priority rank set (A19)."""
    now = clock.now()
    if not reg.code:
        escrow_services._issue_code(reg)
    id_number = reg.bidder.id_number or "-"
    holder = PriorityHolder.objects.filter(lot_id=rnd.lot_id, id_number__iexact=id_number).order_by("rank").first()
    reg.priority_rank = holder.rank if holder else None
    reg.status, reg.held_at = Status.HELD, now
    reg.save(update_fields=["status", "held_at", "priority_rank"])
    d.held_at, d.provider_status = now, "credited"
    d.save(update_fields=["held_at", "provider_status"])
    audit.record("deposit.held", reg, actor=actor, data={"round": rnd.pk, "amount": d.amount, "reference": pr.reference, "code": reg.code,
                                                          "priority_rank": reg.priority_rank})


def _credit_balance(entry, pr, amount, *, debit, kind, key, actor) -> None:
    bp0 = BalancePayment.objects.get(pk=pr.balance_payment_id)
    rnd = rounds.lock(bp0.round_id, related=("lot__case",))
    bp = BalancePayment.objects.select_for_update(of=("self",)).get(pk=bp0.pk)
    pr = PaymentReference.objects.select_for_update(of=("self",)).get(pk=pr.pk)
    still_open = bp.status == BalancePayment.Status.PENDING and rnd.status == Round.Status.SOLD
    v = rules.credit_verdict(pr.amount, pr.received, amount, entry.booked_at, rnd.balance_due_at, still_open)
    _post_credit(entry, pr, v, amount, debit=debit, to=ledger.case_account(rnd.lot.case), kind=kind, key=key, rnd=rnd, actor=actor)
    audit.record("balance.bank_credit", bp, chain=rnd, actor=actor, data={"entry": entry.entry_ref, "amount": amount, "verdict": v.kind})
    if pr.received >= pr.amount and bp.status == BalancePayment.Status.PENDING:
        bp.status, bp.paid_at = BalancePayment.Status.PAID, clock.now()
        bp.save(update_fields=["status", "paid_at"])
        audit.record("balance.paid", bp, chain=rnd, actor=actor, data={"round": rnd.pk, "amount": bp.amount, "reference": pr.reference})
        if rnd.status == Round.Status.SOLD and balances.balance_remaining(rnd) == 0:
            rounds.change_status(rnd, Round.Status.PAID, actor=actor, data={
                "sold_price": rnd.sold_price, "deposit": balances.winner_deposit_amount(rnd), "balance": balances.balance_paid(rnd)})


def _confirm_instruction(entry: BankEntry, *, actor=None) -> None:
    """A debit of the case account: the bank carried out one of our payment instructions (or not ours)."""
    candidates = BankInstruction.objects.filter(account=entry.account, status=BankInstruction.Status.INSTRUCTED, amount=entry.amount)
    ins = candidates.filter(end_to_end_id=entry.end_to_end_id).first() if entry.end_to_end_id else None
    if ins is None:
        text = entry.remittance.upper()
        ins = next((i for i in candidates if i.end_to_end_id in text), None)
    if ins is None:
        entry.verdict, entry.note = Verdict.UNMATCHED_DEBIT, "不是本平台发出的付款指令 / not one of our payment instructions"
        entry.save(update_fields=["verdict", "note"])
        logger.warning("debit %s of %s fen matches no instruction", entry.entry_ref, entry.amount)
        return
    case = entry.account.case
    now = clock.now()
    if ins.kind == BankInstruction.Kind.RELEASE and ins.registration_id:
        reg = escrow_services.lock_registration(ins.registration_id)
        d = escrow_services.lock_deposit(reg.pk)
        ledger.post("bank_deposit_released", [ledger.Line(ledger.deposit_account(reg), debit=ins.amount),
                                              ledger.Line(accounts.bank_cash(case), credit=ins.amount)],
                    memo=f"保证金退还（银行已确认）{ins.end_to_end_id} (A23)", idempotency_key=f"bank_release:{ins.pk}", case=case,
                    round=reg.round, external_ref=entry.entry_ref, actor=actor)
        _mark_confirmed(ins, entry, now)
        left = BankInstruction.objects.filter(registration=reg, kind=BankInstruction.Kind.RELEASE, status=BankInstruction.Status.INSTRUCTED)
        if not left.exists() and ledger.balance(ledger.deposit_account(reg)) == 0 and reg.status in {Status.HELD, Status.PENDING, Status.CANCELLED}:
            reg.status = Status.RELEASED
            reg.save(update_fields=["status"])
            d.refund_id, d.released_at, d.last_error = ins.end_to_end_id, now, ""
            d.save(update_fields=["refund_id", "released_at", "last_error"])
            audit.record("deposit.released", reg, actor=actor, data={"round": reg.round_id, "amount": d.amount, "refund": ins.end_to_end_id,
                                                                      "entry": entry.entry_ref})
            escrow_services.tell_released(reg, reg.round, d.amount)
    else:
        ledger.post("bank_refund_paid", [ledger.Line(accounts.refund_due(case), debit=ins.amount), ledger.Line(accounts.bank_cash(case), credit=ins.amount)],
                    memo=f"款项已原路退回 {ins.end_to_end_id}", idempotency_key=f"bank_return:{ins.pk}", case=case,
                    external_ref=entry.entry_ref, actor=actor)
        _mark_confirmed(ins, entry, now)


def _mark_confirmed(ins: BankInstruction, entry: BankEntry, now) -> None:
    ins.status, ins.confirmed_at, ins.confirmed_by_entry = BankInstruction.Status.CONFIRMED, now, entry
    ins.save(update_fields=["status", "confirmed_at", "confirmed_by_entry"])
    entry.verdict, entry.reference = Verdict.REFUND_CONFIRMED, ins.source_entry.reference
    entry.save(update_fields=["verdict", "reference"])


def _reverse_credit(entry: BankEntry, *, actor=None) -> None:
    """The bank reversed a credit: undo it where its money is still where we put it (not yet refunded,
    applied to the price or assigned), and the bidder may no longer bid on a deposit it completed."""
    e = Entry(entry_ref=entry.entry_ref, direction="CRDT", amount=entry.amount, remittance=entry.remittance,
              end_to_end_id=entry.end_to_end_id, payee_account=entry.payee_account)
    pr = find_reference(entry.account, e)
    originals = BankEntry.objects.filter(account=entry.account, direction="CRDT", reversal=False, reversed_by__isnull=True,
                                         amount=entry.amount).exclude(pk=entry.pk).order_by("-pk")
    orig = (originals.filter(reference=pr).first() if pr else None) or originals.filter(remittance=entry.remittance, reference__isnull=True).first()
    if orig is None or orig.instructions.exists() or orig.resolved_at is not None:
        _unmatched_reversal(entry, "找不到可冲正的原来款 / no credit left to reverse")
        return
    txn = LedgerTransaction.objects.filter(idempotency_key=f"bank_credit:{entry.account_id}:{orig.entry_ref}").first()
    ref = orig.reference
    reg = escrow_services.lock_registration(ref.registration_id) if ref and ref.purpose == PaymentReference.Purpose.DEPOSIT else None
    if ref is not None and (ref.purpose != PaymentReference.Purpose.DEPOSIT or reg.status not in {Status.PENDING, Status.HELD}):
        _unmatched_reversal(entry, "原来款已用于价款或已退还 / the credit was already applied or returned")
        return
    try:
        with transaction.atomic():
            ledger.reverse(txn, memo=f"银行冲正 {entry.entry_ref}（原 {orig.entry_ref}）", actor=actor)
    except Exception as exc:  # the money moved on meanwhile: the operator decides
        _unmatched_reversal(entry, f"无法冲正 / cannot reverse: {exc}")
        return
    # The reversed money is no longer in suspense either: nothing of it may be returned or assigned again.
    orig.reversed_by, orig.suspense = entry, 0
    orig.save(update_fields=["reversed_by", "suspense"])
    entry.verdict, entry.reference = Verdict.REVERSED, ref
    entry.save(update_fields=["verdict", "reference"])
    if ref is not None:
        ref = PaymentReference.objects.select_for_update(of=("self",)).get(pk=ref.pk)
        ref.received -= orig.held
        ref.status = PaymentReference.Status.PARTIAL if ref.received > 0 else PaymentReference.Status.OPEN
        ref.save(update_fields=["received", "status"])
        if reg.status == Status.HELD and ref.received < ref.amount:
            reg.status = Status.PENDING  # no longer may bid: the deposit is no longer paid in full
            reg.save(update_fields=["status"])
        audit.record("deposit.bank_reversed", reg, actor=actor, data={"entry": entry.entry_ref, "original": orig.entry_ref, "amount": orig.amount})


def _unmatched_reversal(entry: BankEntry, note: str) -> None:
    entry.verdict, entry.note = Verdict.UNMATCHED_REVERSAL, note[:500]
    entry.save(update_fields=["verdict", "note"])
    logger.warning("reversal %s not booked: %s", entry.entry_ref, note)


def assign(operator, /, *, entry_id: int, reference: str) -> BankEntry:
    """The operator books a credit held in suspense against the payment reference it belongs to (the
    same verdicts as if the payer had quoted it)."""
    services.ensure_operator(operator)
    reference = re.sub(r"[\s\-]", "", reference or "").upper()
    with transaction.atomic():
        entry0 = BankEntry.objects.filter(pk=entry_id).first()
        if entry0 is None:
            raise NotFound("银行分录不存在 / no such entry")
        CaseBankAccount.objects.select_for_update(of=("self",)).get(pk=entry0.account_id)
        entry = BankEntry.objects.select_for_update(of=("self",)).select_related("account__case").get(pk=entry_id)
        if entry.suspense <= 0:
            raise Conflict(ErrorCode.NOT_IN_SUSPENSE, "该笔来款不在挂账中 / this credit is not in suspense")
        pr = PaymentReference.objects.filter(account=entry.account, reference=reference).first()
        if pr is None:
            raise NotFound("本案没有该付款参考号 / no such payment reference in this case")
        amount = entry.suspense
        entry.suspense, entry.resolved_by, entry.resolved_at = 0, operator, clock.now()
        entry.save(update_fields=["suspense", "resolved_by", "resolved_at"])
        _credit(entry, pr, amount, debit=accounts.suspense(entry.account.case), kind="bank_suspense_assigned",
                key=f"bank_suspense_assigned:{entry.pk}", actor=operator)
    return entry
