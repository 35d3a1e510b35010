"""Reads of escrow: a bidder's deposits, a case account, overdue releases (for the dashboard)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from escrow import ledger, rules
from escrow.models import BiddingGroup, Deposit, LedgerAccount, LedgerEntry, Registration
from lots.models import EnforcementCase, Round

# What each kind of posting means to the judge reading the case account ("where each fen came from").
KIND_LABELS = {
    "deposit_applied": _("买受人保证金转为价款"),
    "balance_paid": _("尾款（在线支付）"),
    "balance_transfer": _("尾款（银行转账，法官确认）"),
    "deposit_forfeited": _("悔拍没收保证金"),
    "settlement": _("结算分配"),
}


def kind_label(kind: str) -> str:
    if kind.startswith("reversal:"):
        return f"{_('冲正')} · {kind_label(kind.split(':', 1)[1])}"
    return str(KIND_LABELS.get(kind, kind))


def registration_for(user, rnd: Round) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Registration.objects.select_related("deposit").filter(round=rnd, bidder=user).first()


def release_deadline_for(rnd: Round) -> datetime | None:
    """A23 (closed_at + 24 h); A28: at once on withdrawal."""
    if rnd.status == Round.Status.WITHDRAWN:
        return getattr(rnd, "withdrawn_at", None) or rnd.closed_at
    return rules.release_deadline(rnd.closed_at) if rnd.closed_at else None


def my_deposits(user) -> list[dict]:
    regs = (Registration.objects.filter(bidder=user).select_related("round__lot", "deposit")
            .order_by("-created_at"))
    out = []
    for reg in regs:
        d = getattr(reg, "deposit", None)
        out.append({"registration": reg, "round": reg.round, "deposit": d, "release_due_at": release_deadline_for(reg.round)})
    return out


@dataclass
class OverdueRelease:
    deposit: Deposit
    round: Round
    due_at: datetime


def overdue_releases(now: datetime) -> list[OverdueRelease]:
    """Held deposits of non-winners past their A23 deadline (24 h after the close), or of withdrawn rounds."""
    held = (Deposit.objects.select_related("registration__round__lot")
            .filter(registration__status=Registration.Status.HELD)
            .filter(Q(registration__round__status__in=list(rules.FINISHED_STATUSES)) | Q(registration__round__status="withdrawn")))
    out = []
    for d in held:
        rnd = d.registration.round
        if rnd.leader_id == d.registration_id and rnd.status != Round.Status.WITHDRAWN:
            continue
        due = release_deadline_for(rnd)
        if due is not None and now > due:
            out.append(OverdueRelease(d, rnd, due))
    return out


def case_account(case: EnforcementCase) -> dict:
    """Balance of the case account (and its forfeited-deposit sub-account) with every entry and its source."""
    main = ledger.case_account(case)
    forfeit = ledger.forfeit_account(case)
    entries = (LedgerEntry.objects.filter(account__in=[main, forfeit])
               .select_related("transaction__round__lot", "account").order_by("transaction__created_at", "id"))
    rows = []
    running = 0
    for e in entries:
        amount = e.amount * e.account.sign
        running += amount  # the case's money, both sub-accounts together
        txn = e.transaction
        rows.append({
            "id": e.pk, "transaction": txn.pk, "kind": txn.kind, "label": kind_label(txn.kind), "memo": txn.memo, "at": txn.created_at,
            "account": e.account.code, "sub_account": "forfeit" if e.account_id == forfeit.pk else "main",
            "amount": amount, "running_balance": running,
            "round": txn.round_id, "lot": txn.round.lot.title if txn.round_id else "", "external_ref": txn.external_ref,
        })
    main_balance, forfeit_balance = ledger.balance(main), ledger.balance(forfeit)
    return {"case": case, "balance": main_balance + forfeit_balance, "main_balance": main_balance,
            "forfeit_balance": forfeit_balance, "entries": rows}


def accounts_below_zero() -> list[LedgerAccount]:
    return [a for a in LedgerAccount.objects.all() if ledger.balance(a) < 0]


@dataclass
class Standing:
    """Where a bidder stands on a round after it ends: the next steps the page shows them."""

    registration: Registration
    won: bool
    balance_remaining: int  # A25: what is still to pay (0 once paid, or for a sell-off bought outright)
    balance_due_at: datetime | None
    held_amount: int
    release_due_at: datetime | None  # A23: when a non-winner's money is back at the latest
    released_at: datetime | None


def standing(user, rnd: Round) -> Standing | None:
    """The signed-in bidder's outcome on a finished round (None when they did not register)."""
    reg = registration_for(user, rnd)
    if reg is None or rnd.status not in rules.FINISHED_STATUSES | {"withdrawn"}:
        return None
    d = getattr(reg, "deposit", None)
    held = d.amount if d else 0
    won = rnd.leader_id == reg.pk and rnd.status in {"sold", "paid", "settled", "closed"}
    remaining = 0
    if won and rnd.sold_price is not None:
        paid = sum(bp.amount for bp in rnd.balance_payments.filter(status="paid"))
        remaining = max(rules.balance_due(rnd.sold_price, held) - paid, 0)
    return Standing(registration=reg, won=won, balance_remaining=remaining, balance_due_at=rnd.balance_due_at if won else None,
                    held_amount=held, release_due_at=None if won else release_deadline_for(rnd),
                    released_at=d.released_at if d else None)


# --- joint and agent bidding ------------------------------------------------------------------------

def groups_for_court(court_id: int, *, pending_only: bool = False) -> list[BiddingGroup]:
    """The joint and agent registrations of a court's rounds, pending first, for the judge's confirmation page."""
    qs = (BiddingGroup.objects.filter(registration__round__lot__case__court_id=court_id)
          .exclude(registration__status=Registration.Status.CANCELLED)
          .select_related("registration__round__lot", "registration__bidder", "registration__deposit", "decided_by")
          .prefetch_related("members"))
    if pending_only:
        qs = qs.filter(status=BiddingGroup.Status.PENDING)
    rows = list(qs.order_by("registration__round__starts_at", "created_at")[:500])
    return sorted(rows, key=lambda g: g.status != BiddingGroup.Status.PENDING)


def invitations_for(user, rnd: Round) -> list[BiddingGroup]:
    """The joint bids of this round that name `user` as a co-bidder (for them to agree to)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(BiddingGroup.objects.filter(registration__round=rnd, members__user=user, members__position__gt=0)
                .exclude(registration__status=Registration.Status.CANCELLED)
                .select_related("registration__bidder").prefetch_related("members").distinct())


def group_of(reg: Registration) -> BiddingGroup | None:
    return BiddingGroup.objects.filter(registration=reg).prefetch_related("members").first()


def buyers_of(reg: Registration) -> list[rules.NamedBuyer]:
    """Who the sale documents name as buyer (A22): every joint bidder with their share, the principal of an
    agent, or the bidder (escrow.rules.named_buyers)."""
    bidder = reg.bidder
    group = group_of(reg)
    if group is None or group.status != BiddingGroup.Status.CONFIRMED:
        return rules.named_buyers(None, bidder_name=bidder.display_name(), bidder_id=bidder.id_number or "")
    return rules.named_buyers(group.kind, bidder_name=bidder.display_name(), bidder_id=bidder.id_number or "",
                              members=[(m.name, m.id_number, m.share) for m in group.members.all()],
                              principal=(group.principal_name, group.principal_id_number))
