"""执行公开 for the parties: the whole path of their case, as the applicant and the debtor may see it (reads only),
and the notices that tell them of each step.

It lives in settlement, the highest app, because the path crosses every app below it: the case and its lots (lots),
the valuation of each lot (valuation, through its selectors: the platforms' results stay hidden from the parties
until the price is fixed), the rounds and their results (lots, bidding), the case account (escrow's ledger) and who
was paid (settlement). The legal deadlines are computed by ``lots.deadlines``, the one module of every deadline.

- ``ensure_party_of_case(user, case)``               only an account the judge linked to the case (401 / 403)
- ``case_path(case, viewer, now) -> dict``           valuation, rounds, account, deadlines
- ``case_deadlines(case, now) -> list[Deadline]``    B1, B30, A16, A23, A25 (and A28) of the case, done or not
- ``on_round_status_changed`` / ``on_party_linked``  receivers: each step told to the case's linked parties
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from auction_site import clock
from auction_site.errors import Forbidden, NotAuthenticated
from auction_site.money import yuan
from escrow import selectors as escrow_selectors
from escrow.models import Registration
from lots import deadlines
from lots.deadlines import Deadline
from lots.models import CaseParty, EnforcementCase, Lot, Round
from settlement import rules
from settlement.models import Settlement
from valuation import selectors as valuation_selectors
from valuation.services import notify_case_parties

Status = Round.Status
ENDED = rules.ENDED_STATUSES | {"withdrawn"}


def ensure_party_of_case(user: Any, case: EnforcementCase) -> list[CaseParty]:
    """Only the parties the judge linked to this case see its path; everyone else is refused (another party's
    account, a bidder, a judge: the court's own pages are theirs)."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    mine = list(CaseParty.objects.filter(case=case, user=user))
    if not mine:
        raise Forbidden("仅本案关联的当事人可查看 / only the parties linked to this case may see it")
    return mine


# ------------------------------------------------------------------------------------------------ deadlines


def _done(row: Deadline, done_at: datetime | None) -> Deadline:
    row.detail["done_at"] = done_at
    return row


def case_deadlines(case: EnforcementCase, now: datetime) -> list[Deadline]:
    """Every legal deadline of the case that has started to run, with when it was met (``detail["done_at"]``,
    None while it is not): B1 and B30 per lot, A16, A23, A25 and A28 per round. Durations from lots.deadlines."""
    rows: list[Deadline] = []
    lots = list(Lot.objects.filter(case=case).order_by("id"))
    rounds = list(Round.objects.filter(lot__case=case).select_related("lot").order_by("lot_id", "number"))
    first_published: dict[int, datetime] = {}
    for r in rounds:
        if r.published_at and (r.lot_id not in first_published or r.published_at < first_published[r.lot_id]):
            first_published[r.lot_id] = r.published_at
    for lot in lots:
        if lot.seized_at:  # B1: the reference price within 30 days of the seizure
            rows.append(_done(Deadline("B1", "fix_price", deadlines.price_due_by(lot.seized_at), now, lot.title, lot.pk),
                              lot.reference_price_fixed_at))
        if lot.reference_price_fixed_at:  # B30: the sale started within 10 days of the price
            rows.append(_done(Deadline("B30", "start_sale", deadlines.sale_due_by(lot.reference_price_fixed_at), now, lot.title, lot.pk),
                              first_published.get(lot.pk)))
    regs: dict[int, list[Registration]] = {}
    for reg in (Registration.objects.filter(round__in=[r for r in rounds if r.status in ENDED])
                .select_related("deposit").only("round_id", "status", "deposit__released_at")):
        regs.setdefault(reg.round_id, []).append(reg)
    for r in rounds:
        lot = r.lot
        if r.parties_notified_at:  # A16: the announcement no sooner than 3 days after the parties' notice
            rows.append(_done(Deadline("A16", "announcement_from", deadlines.publishable_from(r.parties_notified_at), now, lot.title,
                                       lot.pk, r.pk, {"notified_at": r.parties_notified_at}), r.published_at))
        elif r.status == Status.DRAFT:
            rows.append(_done(Deadline("A16", "notify_parties", deadlines.latest_notice_at(lot.category, r.number, r.starts_at), now,
                                       lot.title, lot.pk, r.pk), None))
        closed = r.withdrawn_at if r.status == Status.WITHDRAWN else r.closed_at
        if r.status in ENDED and closed:  # A23: the other bidders' deposits back within 24 hours (A28: at once)
            others = [g for g in regs.get(r.pk, []) if r.status == Status.WITHDRAWN or g.pk != r.leader_id]
            still = [g for g in others if g.status == Registration.Status.HELD]
            due = closed if r.status == Status.WITHDRAWN else deadlines.release_due_by(closed)
            released = [g.deposit.released_at for g in others if getattr(g, "deposit", None) and g.deposit.released_at]
            rows.append(_done(Deadline("A23", "release_deposits", due, now, lot.title, lot.pk, r.pk, {"count": len(others)}),
                              None if still else (max(released) if released else closed)))
        if r.balance_due_at and r.status in {Status.SOLD, Status.PAID, Status.SETTLED, Status.DEFAULTED}:  # A25: the balance
            paid = r.balance_payments.filter(status="paid").order_by("-paid_at").values_list("paid_at", flat=True).first()
            done = (paid or r.status_changed_at or r.closed_at) if r.status in {Status.PAID, Status.SETTLED} else None
            rows.append(_done(Deadline("A25", "balance", r.balance_due_at, now, lot.title, lot.pk, r.pk,
                                       {"defaulted": r.status == Status.DEFAULTED}), done))
        if r.status == Status.SUSPENDED and r.suspension_cause_ended_at:  # A28: resumed within 5 days of the cause ending
            rows.append(_done(Deadline("A28", "resume", deadlines.resume_due_by(r.suspension_cause_ended_at), now, lot.title, lot.pk, r.pk),
                              None))
    return sorted(rows, key=lambda d: d.due_at)


# ------------------------------------------------------------------------------------------------ the path


def _round_row(r: Round) -> dict[str, Any]:
    result = None
    if r.status in rules.DEAL_STATUSES:
        result = "sold"
    elif r.status in {Status.FAILED, Status.WITHDRAWN, Status.DEFAULTED}:
        result = r.status
    return {"id": r.pk, "number": r.number, "kind": r.kind, "status": r.status, "status_label": r.get_status_display(),
            "starting_price": r.starting_price, "deposit": r.deposit, "starts_at": r.starts_at, "ends_at": r.ends_at,
            "published_at": r.published_at, "closed_at": r.closed_at, "bid_count": r.bid_count,
            "sold_price": r.sold_price if r.status in rules.DEAL_STATUSES else None, "balance_due_at": r.balance_due_at,
            "result": result, "reason": r.status_reason}


def case_path(case: EnforcementCase, viewer: Any, now: datetime) -> dict[str, Any]:
    """What a linked party sees of their case: each lot's valuation steps (method, status, the reference price and
    where it came from), its rounds (status, result), the case account (money in, money paid and to whom), and the
    legal deadlines with their countdowns."""
    lots = []
    for lot in Lot.objects.filter(case=case).order_by("id"):
        steps = [valuation_selectors.valuation_dict(v, viewer=viewer) for v in valuation_selectors.valuations_of_lot(lot)]
        steps.reverse()  # the B2 order: the first method tried first
        ref = valuation_selectors.reference_of(lot)  # the one read of the reference price and where it came from
        lots.append({"id": lot.pk, "title": lot.title, "category": lot.category, "reference_price": ref.price,
                     "reference_price_source": ref.source, "reference_method": ref.method, "reference_valuation": ref.valuation.pk if ref.valuation else None,
                     "reference_entered": ref.entered, "reference_price_fixed_at": ref.fixed_at,
                     "reference_price_valid_until": ref.valid_until, "seized_at": lot.seized_at,
                     "valuations": steps, "rounds": [_round_row(r) for r in lot.rounds.order_by("number")]})
    account = escrow_selectors.case_account(case)
    money_in = [e for e in account["entries"] if e["amount"] > 0]
    payouts = [{"round": s.round_id, "at": s.created_at, "kind": p.kind, "kind_label": p.get_kind_display(), "payee": p.payee,
                "amount": p.amount}
               for s in Settlement.objects.filter(case=case).prefetch_related("payouts").order_by("created_at", "id")
               for p in s.payouts.order_by("position")]
    return {
        "case": {"id": case.pk, "case_number": case.case_number, "court": case.court.name, "applicants": case.applicants,
                 "respondents": case.respondents, "amount_owed": case.amount_owed, "status": case.status},
        "me": [{"side": p.side, "name": p.name} for p in CaseParty.objects.filter(case=case, user=viewer)],
        "lots": lots,
        "account": {"balance": account["balance"], "money_in": money_in, "payouts": payouts,
                    "paid_out": sum(p["amount"] for p in payouts if p["kind"] != "in_kind")},
        "deadlines": case_deadlines(case, now),
        "now": now,
    }


# ------------------------------------------------------------------------------------------------ notices

ROUND_NOTICES = {
    Status.ANNOUNCED: "已发布拍卖公告，{starts} 开始竞价。",
    Status.OPEN: "已开始竞价，预计 {ends} 结束。",
    Status.SOLD: "竞价结束，成交价 ¥{price}；买受人须于 {balance_due} 前付清尾款（A25）。",
    Status.FAILED: "竞价结束，无人出价，流拍（A26）。",
    Status.SUSPENDED: "拍卖已中止：{reason}",
    Status.WITHDRAWN: "拍卖已撤回：{reason}",
    Status.PAID: "买受人已付清全部价款，款项进入本案案款账户。",
    Status.SETTLED: "法院已结算案款：{payouts}",
    Status.DEFAULTED: "买受人未按期付清尾款（悔拍），保证金不予退还（A24）。",
}


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def tell_round_step(round_id: int, status: str) -> int:
    """Tell the case's linked parties that one of their rounds moved to `status` (returns how many were told)."""
    template = ROUND_NOTICES.get(status)
    if template is None:
        return 0
    r = Round.objects.select_related("lot").get(pk=round_id)
    payouts = ""
    if status == Status.SETTLED:
        s = Settlement.objects.filter(round=r).prefetch_related("payouts").first()
        payouts = "；".join(f"{p.payee} ¥{yuan(p.amount)}" for p in s.payouts.order_by("position")) if s else ""
    body = template.format(starts=_when(r.starts_at), ends=_when(r.ends_at), price=yuan(r.sold_price), balance_due=_when(r.balance_due_at),
                           reason=r.status_reason or "—", payouts=payouts or "—")
    return notify_case_parties(r.lot.case_id, f"round_{status}", f"{r.lot.title} · {r.get_status_display()}", body,
                               key=f"case:{r.lot.case_id}:round:{r.pk}:{status}:{r.seq}")


def on_round_status_changed(sender, *, round_id: int, status: str, **kwargs) -> None:
    """Receiver of lots.signals.round_status_changed (sent after the commit): the parties hear of the step."""
    with transaction.atomic():
        tell_round_step(round_id, status)


def on_party_linked(sender, *, case_id: int, party_id: int, user_id: int, linked: bool, **kwargs) -> None:
    """Receiver of lots.signals.party_linked: the account hears that it was linked to the case (or unlinked)."""
    party = CaseParty.objects.select_related("case").filter(pk=party_id).first()
    if party is None:
        return
    side = party.get_side_display()
    with transaction.atomic():
        if linked:
            notify_case_parties(case_id, "party_linked", f"已关联案件：{party.case.case_number}",
                                f"法院已将您的账户关联为本案{side}（{party.name}）。您可在“我的案件”查看执行全过程并接收各环节通知。",
                                only_user_id=user_id, key=f"case:{case_id}:party:{party_id}:linked:{user_id}:{clock.now().isoformat()}")
