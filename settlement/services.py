"""Every write of settlement: sale documents, the judge's settlement, the report-back outbox.

One function per use case, each transactional; audit records inside the transaction; live events
only on commit.
"""

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, NotFound
from escrow import ledger
from escrow import selectors as escrow_selectors
from escrow.ledger import Line
from escrow.models import BalancePayment, LedgerTransaction, Registration
from escrow.rules import apply_forfeited_deposit, format_share
from lots import rounds
from lots import services as lot_services
from lots.access import ensure_judge_of
from lots.models import EnforcementCase, Round
from settlement import documents, rules, signing
from settlement.models import InKindSettlement, OutboxMessage, Payout, SaleDocument, Settlement
from transparency import services as transparency_services

logger = logging.getLogger("settlement")
Status = Round.Status


# ---------------------------------------------------------------------------------------------
# Sale documents (A22)


def _paid_at(round: Round) -> datetime | None:
    """When the price was paid in full: the last balance payment (escrow), else the last balance posting."""
    last = (BalancePayment.objects.filter(round=round, status=BalancePayment.Status.PAID).exclude(paid_at=None)
            .order_by("-paid_at").values_list("paid_at", flat=True).first())
    if last:
        return last
    txn = LedgerTransaction.objects.filter(round=round, kind__startswith="balance").order_by("-created_at").first()
    return txn.created_at if txn else None


def sale_facts(round: Round) -> documents.SaleFacts:
    lot = round.lot
    case = lot.case
    if round.leader_id is None or round.sold_price is None:
        raise DomainError(ErrorCode.NO_BUYER, "该拍次没有买受人 / the round has no buyer (A22)", status=409)
    reg = Registration.objects.select_related("bidder").get(pk=round.leader_id)
    buyers = escrow_selectors.buyers_of(reg)  # joint: every buyer with their share; agent: the principal
    return documents.SaleFacts(
        court=case.court.name, case_number=case.case_number, lot_title=lot.title, lot_location=lot.location,
        # The document is Chinese whatever the page's language (not get_kind_display, which is translated).
        round_label=f"第{round.number}次{'变卖' if round.kind == 'selloff' else '拍卖'}", buyer_name="、".join(b.name for b in buyers),
        shares=tuple((b.name, format_share(b.share)) for b in buyers if b.share is not None),
        agent_name=buyers[0].agent if len(buyers) == 1 else "",
        bidder_code=reg.code or "—", price=round.sold_price, starting_price=round.starting_price,
        closed_at=round.closed_at or round.ends_at, balance_due_at=round.balance_due_at,
        applicants=list(case.applicants or []), respondents=list(case.respondents or []),
        paid_at=_paid_at(round) if round.status in rules.RULING_STATUSES else None,
        generated_at=clock.now(),
        **_transcript_facts(round),
    )


def _transcript_facts(round: Round) -> dict:
    """The signed transcript printed on the confirmation (signed here if the close's receiver missed it)."""
    t = transparency_services.build_transcript(round.pk)
    if t is None:
        return {}
    return {"transcript_root": t.root, "transcript_leaves": t.leaf_count, "key_fingerprint": t.key_fingerprint,
            "round_id": round.pk}


def generate_document(round_id: int, kind: str) -> SaleDocument:
    """Render and store one document; idempotent (one per round and kind). Raises when not due yet.

    No lock is held while the PDF is rendered and stored (object storage is an outside service): the
    unique (round, kind) row decides which of two racing workers keeps its file; the other deletes its own."""
    round = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if round is None:
        raise NotFound("拍次不存在 / no such round")
    existing = SaleDocument.objects.filter(round=round, kind=kind).first()
    if existing:
        return existing
    if kind not in rules.documents_due(round.status):
        raise DomainError(ErrorCode.DOCUMENT_NOT_DUE, f"拍次状态 {round.status} 尚不能生成该文书 / not due at this status (A22)", status=409)
    pdf = documents.RENDERERS[kind](sale_facts(round))
    key = f"settlement/rounds/{round.pk}/{kind}-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    stored_key = default_storage.save(key, ContentFile(pdf))
    try:
        with transaction.atomic():
            doc = SaleDocument.objects.create(round=round, kind=kind, storage_key=stored_key,
                                              sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), created_at=clock.now())
            audit.record("document.generated", doc, data={"round": round.pk, "kind": kind, "sha256": doc.sha256, "key": stored_key})
    except IntegrityError:  # another worker stored it first: keep theirs
        default_storage.delete(stored_key)
        return SaleDocument.objects.get(round=round, kind=kind)
    return doc


def generate_due_documents(round: Round) -> list[SaleDocument]:
    return [generate_document(round.pk, kind) for kind in rules.documents_due(round.status)]


def document_url(doc: SaleDocument) -> str:
    """A signed (expiring) URL with S3; a /media/ URL with the embedded local storage."""
    return default_storage.url(doc.storage_key)


# ---------------------------------------------------------------------------------------------
# Settlement (the judge distributes the case account)


@dataclass(frozen=True)
class SettleResult:
    settlement: Settlement
    remainder: int


def _parse_payouts(raw: list[dict]) -> list[rules.Payout]:
    out = []
    for item in raw:
        out.append(rules.Payout(kind=item["kind"], payee=str(item["payee"]).strip(), amount=item["amount"],
                                borne_by=item.get("borne_by") or "", claim=item.get("claim")))
    return out


def _forfeit_to_apply(round: Round, case: EnforcementCase, costs: int) -> tuple[int, dict]:
    """A24: a deposit forfeited on an earlier round of this lot joins the pool in the A24 order."""
    defaulted = Round.objects.filter(lot=round.lot, status=Round.Status.DEFAULTED).exclude(pk=round.pk).order_by("-number").first()
    if defaulted is None or not hasattr(ledger, "forfeit_account"):
        return 0, {}
    forfeited = ledger.balance(ledger.forfeit_account(case))
    if forfeited <= 0:
        return 0, {}
    shortfall = max((defaulted.sold_price or 0) - (round.sold_price or 0), 0)
    split = apply_forfeited_deposit(forfeited, costs, shortfall, case.amount_owed)
    applied = forfeited - split.get("remainder", 0)
    return applied, split


def settle_round(judge, /, *, round_id: int, raw_payouts: list[dict]) -> SettleResult:
    """Distribute the case account to payees for a paid round; the remainder returns to the debtor.

    Nothing moves unless every check passes: status (paid, not settled), court, order of payment,
    taxes as announced, no over-distribution (explicit check here; the ledger also refuses to
    overdraw any account).
    """
    with transaction.atomic():
        round = rounds.lock(round_id, related=("lot__case__court",))
        case = round.lot.case
        ensure_judge_of(judge, case)
        in_kind = _in_kind_for(round)
        violation = rules.check_settleable(round.status, Settlement.objects.filter(round=round).exists(), in_kind=in_kind is not None)
        if violation:
            raise DomainError(violation.code, str(violation), status=409)
        case_acct = ledger.case_account(case)
        payouts = _parse_payouts(raw_payouts)
        costs = sum(p.amount for p in payouts if p.kind == "cost" and isinstance(p.amount, int))
        forfeit_applied, forfeit_split = _forfeit_to_apply(round, case, costs)
        available = ledger.balance(case_acct) + forfeit_applied
        violation = rules.check_distribution(
            available, payouts, applicants=list(case.applicants or []), amount_owed=case.amount_owed,
            transfer_tax_payer=round.lot.transfer_tax_payer, in_kind_price=in_kind.price if in_kind else 0,
        )
        if violation:
            raise DomainError(violation.code, str(violation))
        remainder = rules.debtor_remainder(available, payouts)
        rows = list(payouts)
        if remainder > 0:
            debtor = "、".join(case.respondents or []) or "被执行人"
            rows.append(rules.Payout("debtor", debtor, remainder))

        txn = None
        accounts: list = []
        distributed = sum(p.amount for p in rows)
        if distributed > 0:
            lines: list[Line] = []
            if forfeit_applied:
                lines.append(Line(ledger.forfeit_account(case), debit=forfeit_applied))
                lines.append(Line(case_acct, credit=forfeit_applied))
            # Debit what is paid out; the ledger refuses to take the case account below zero.
            lines.append(Line(case_acct, debit=distributed))
            for pos, p in enumerate(rows, start=1):
                acct = ledger.payee_account(case, f"r{round.pk}:{pos}:{p.kind}", f"{p.payee}（{case.case_number} {p.kind}）")
                accounts.append(acct)
                lines.append(Line(acct, credit=p.amount))
            txn = ledger.post("settlement", lines, memo=f"结算 {case.case_number} 第{round.number}次", case=case, round=round,
                              idempotency_key=f"settlement:round:{round.pk}", actor=judge)
        settlement = Settlement.objects.create(round=round, case=case, judge=judge, available=available,
                                               distributed=distributed, ledger_transaction=txn, created_at=clock.now())
        position = 0
        if in_kind is not None:
            position += 1
            Payout.objects.create(settlement=settlement, position=position, kind=Payout.Kind.IN_KIND, payee=in_kind.creditor,
                                  amount=in_kind.price, account=None)
        for p, acct in zip(rows, accounts):
            position += 1
            Payout.objects.create(settlement=settlement, position=position, kind=p.kind, payee=p.payee, amount=p.amount,
                                  borne_by=p.borne_by, claim=p.claim, account=acct)
        if in_kind is not None:
            audit.record("round.settled_in_kind", round, actor=judge, data={
                "settlement": settlement.pk, "creditor": in_kind.creditor, "price": in_kind.price, "available": available,
                "payouts": [[p.kind, p.payee, p.amount] for p in rows]})
            _maybe_settle_case(case, judge)
            enqueue_outcome(case, round)
            return SettleResult(settlement, remainder)
        rounds.change_status(round, Round.Status.SETTLED, actor=judge, data={
            "settlement": settlement.pk, "available": available, "forfeit_applied": forfeit_applied,
            "forfeit_split": forfeit_split, "payouts": [[p.kind, p.payee, p.amount] for p in rows],
        })
        _maybe_settle_case(case, judge)
        enqueue_outcome(case, round)
    # The draft ruling exists once paid; make sure it does (a no-op when the clock already made it).
    try:
        generate_due_documents(round)
    except documents.FontMissing:
        logger.error("sale documents not generated for round %s: CJK font missing", round.pk)
    return SettleResult(settlement, remainder)


def _in_kind_for(round: Round) -> InKindSettlement | None:
    """The in-kind settlement ([C] A16) that hands this round's lot to a creditor, if this round is its round."""
    return InKindSettlement.objects.filter(lot_id=round.lot_id, round_id=round.pk).first()


def _maybe_settle_case(case: EnforcementCase, actor) -> None:
    if Round.objects.filter(lot__case=case).exclude(status__in=rules.DONE_STATUSES).exists():
        return
    if Settlement.objects.filter(case=case).exists():
        lot_services.mark_case_settled(actor, case=case)


# ---------------------------------------------------------------------------------------------
# In-kind settlement ([C] A16)


def settle_in_kind(judge, /, *, round_id: int, creditor: str) -> InKindSettlement:
    """以物抵债 ([C] A16): after round 2 failed, hand the lot to a creditor at the round-2 starting price.

    `round_id` is the failed round 2 or the sell-off round that followed it (not yet sold); an open or
    announced sell-off is withdrawn (its deposits are then released by escrow at once, A28).
    """
    creditor = (creditor or "").strip()
    if not creditor or len(creditor) > 200:
        raise DomainError(ErrorCode.INVALID, "须写明接受抵债的申请执行人 / name the creditor who accepts the property", field="creditor")
    with transaction.atomic():
        rnd = rounds.lock(round_id, related=("lot__case__court", "previous"))
        ensure_judge_of(judge, rnd)
        if rnd.kind == Round.Kind.SELLOFF:
            if rnd.status in {Status.SOLD, Status.PAID, Status.SETTLED, Status.WITHDRAWN}:
                raise Conflict(ErrorCode.NOT_IN_KIND, "变卖已成交或已撤回 / the sell-off has ended with a sale or was withdrawn")
            second = rnd.previous
        elif rnd.status == Status.FAILED and rnd.number >= 2:
            second = rnd
        else:
            raise Conflict(ErrorCode.NOT_IN_KIND, "以物抵债须在二拍流拍之后 / in-kind settlement follows a second failed auction ([C] A16)")
        applicants = [str(a) for a in (rnd.lot.case.applicants or [])]
        if applicants and creditor not in applicants:
            raise DomainError(ErrorCode.INVALID, "抵债对象须为本案申请执行人 / the creditor must be an applicant of the case", field="creditor")
        if InKindSettlement.objects.filter(lot_id=rnd.lot_id).exists():
            raise Conflict(ErrorCode.ALREADY_SETTLED_IN_KIND, "该标的已以物抵债 / the lot was already settled in kind")
        follow = Round.objects.filter(previous=second, kind=Round.Kind.SELLOFF).values_list("pk", flat=True).first() if second else None
        selloff = rnd if follow == rnd.pk else (rounds.lock(follow) if follow else None)
        if selloff and selloff.status in {Status.DRAFT, Status.ANNOUNCED, Status.OPEN, Status.SUSPENDED}:
            if selloff.bid_count:
                raise Conflict(ErrorCode.NOT_IN_KIND, "变卖已有人购买 / the sell-off already has a buyer")
            selloff.withdrawn_at = clock.now()
            rounds.change_status(selloff, Status.WITHDRAWN, actor=judge, reason=f"以物抵债给{creditor}", fields=["withdrawn_at"])
        price = second.starting_price
        now = clock.now()
        settlement = InKindSettlement.objects.create(lot_id=rnd.lot_id, round=rnd, creditor=creditor, price=price,
                                                     decided_by=judge, decided_at=now)
        lot_services.record_settled_in_kind(judge, lot=rnd.lot, at=now, data={
            "round": rnd.pk, "creditor": creditor, "price": price, "in_kind_settlement": settlement.pk})
    return settlement


# ---------------------------------------------------------------------------------------------
# Report-back to the enforcement case system (outbox)


def case_outcome(case: EnforcementCase) -> dict:
    """What the case system is told: case number, lots, prices, dates, who was paid what."""
    from settlement.selectors import case_outcome as build

    return build(case)


def enqueue_outcome(case: EnforcementCase, round: Round | None) -> OutboxMessage:
    payload = case_outcome(case)
    payload["event"] = "case.outcome"
    payload["round_id"] = round.pk if round else None
    key = f"case.outcome:case:{case.pk}:round:{round.pk if round else 0}"
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    msg, _ = OutboxMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={"kind": "case.outcome", "case": case, "round": round, "payload": json.loads(body), "body": body,
                  "next_attempt_at": clock.now(), "created_at": clock.now()},
    )
    audit.record("outbox.enqueued", msg, data={"key": key})
    return msg


# Retries back off exponentially: 1 min, 2, 4, … capped at 6 hours; never given up (the outcome
# must reach the case). Not a legal value: an operational setting.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
SEND_TIMEOUT_SECONDS = 10


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _send(url: str, msg: OutboxMessage, now: datetime) -> tuple[int | None, str]:
    body = msg.body.encode("utf-8")
    # Transport time, not domain time: the receiver checks the timestamp against its own wall clock,
    # so it must stay real even when the test/demo clock has been advanced.
    ts = int(time.time())
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        signing.HEADER: signing.header_value(settings.CASE_SYSTEM_WEBHOOK_SECRET, ts, body),
        "X-Idempotency-Key": msg.idempotency_key,
        "X-Attempt": str(msg.attempts + 1),
    })
    try:
        with urllib.request.urlopen(req, timeout=SEND_TIMEOUT_SECONDS) as resp:  # noqa: S310 (configured URL)
            return resp.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


def deliver_due(now: datetime, limit: int = 50) -> dict:
    """Send every due message once; a 2xx marks it delivered, anything else schedules a retry."""
    url = settings.CASE_SYSTEM_WEBHOOK_URL
    if not url:
        return {"outbox_skipped": OutboxMessage.objects.filter(delivered_at__isnull=True).count()}
    delivered = failed = 0
    ids = list(OutboxMessage.objects.filter(delivered_at__isnull=True, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            msg = (OutboxMessage.objects.select_for_update(skip_locked=True)
                   .filter(pk=pk, delivered_at__isnull=True, next_attempt_at__lte=now).first())
            if msg is None:
                continue  # delivered or being delivered by a concurrent tick
            status, error = _send(url, msg, now)
            msg.attempts += 1
            msg.last_status = status
            if status is not None and 200 <= status < 300:
                msg.delivered_at = now
                msg.last_error = ""
                delivered += 1
            else:
                msg.last_error = error or f"HTTP {status}"
                msg.next_attempt_at = now + backoff(msg.attempts)
                failed += 1
            msg.save(update_fields=["attempts", "last_status", "delivered_at", "last_error", "next_attempt_at"])
            audit.record("outbox.delivered" if msg.delivered_at else "outbox.failed", msg,
                         data={"attempts": msg.attempts, "status": status, "error": msg.last_error})
    return {"outbox_delivered": delivered, "outbox_failed": failed}
