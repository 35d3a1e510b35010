"""The judge's desk: what the court must do, by legal deadline, newest risk first (a selector: reads only).

It lives in escrow because escrow is the highest app whose facts it needs: lots (seizure, price, drafts,
suspensions, sold rounds) and escrow (deposits still held after the close, balances still owed). The
deadlines are computed by lots.deadlines, the one module of every legal deadline. The lots page /court/
asks for the rows through the signal lots.signals.court_desk (lots never imports escrow); escrow connects
`on_court_desk` in its AppConfig.

- ``court_desk(court_id, now) -> list[Deadline]``  the rows of one court, ordered by
  lots.deadlines.order_for_desk; each row's `detail` carries what the page shows (counts, amounts).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Exists, OuterRef

from escrow import balances, rules
from escrow.models import Deposit, Registration
from lots import deadlines
from lots.deadlines import Deadline
from lots.models import Lot, Round

Status = Round.Status
LIMIT = 200  # rows of each kind: a desk longer than this is a court in trouble, and the oldest show first


def court_desk(court_id: int, now: datetime) -> list[Deadline]:
    rows: list[Deadline] = []
    lots = Lot.objects.filter(case__court_id=court_id, settled_in_kind_at__isnull=True)
    published = Round.objects.filter(lot=OuterRef("pk"), published_at__isnull=False)

    # B1: the reference price within 30 days of the seizure.
    for lot in lots.filter(seized_at__isnull=False, reference_price__isnull=True).order_by("seized_at")[:LIMIT]:
        rows.append(Deadline("B1", "fix_price", deadlines.price_due_by(lot.seized_at), now, lot.title, lot.pk))

    # B30: the sale started (the first announcement published) within 10 days of the price.
    for lot in (lots.filter(reference_price_fixed_at__isnull=False).exclude(Exists(published))
                .order_by("reference_price_fixed_at")[:LIMIT]):
        rows.append(Deadline("B30", "start_sale", deadlines.sale_due_by(lot.reference_price_fixed_at), now, lot.title, lot.pk))

    court_rounds = Round.objects.filter(lot__case__court_id=court_id).select_related("lot")

    # A16 (and A12/A26): a draft's parties notified in time, then published in time, for it to open on time.
    for rnd in court_rounds.filter(status=Status.DRAFT).order_by("starts_at")[:LIMIT]:
        lot = rnd.lot
        if rnd.parties_notified_at is None:
            rows.append(Deadline("A16", "notify_parties", deadlines.latest_notice_at(lot.category, rnd.number, rnd.starts_at),
                                 now, lot.title, lot.pk, rnd.pk))
        else:
            rows.append(Deadline("A16", "publish", deadlines.latest_publication_at(lot.category, rnd.number, rnd.starts_at),
                                 now, lot.title, lot.pk, rnd.pk, {"from": deadlines.publishable_from(rnd.parties_notified_at)}))

    # A23: the losing bidders' deposits released within 24 hours of the close (A28: at once on withdrawal).
    held = (Deposit.objects.filter(registration__status=Registration.Status.HELD,
                                   registration__round__lot__case__court_id=court_id,
                                   registration__round__status__in=[*rules.FINISHED_STATUSES, Status.WITHDRAWN])
            .select_related("registration__round__lot")[:LIMIT * 10])
    per_round: dict[int, list[Deposit]] = defaultdict(list)
    for d in held:
        rnd = d.registration.round
        if rnd.leader_id == d.registration_id and rnd.status != Status.WITHDRAWN:
            continue  # the winner's deposit counts toward the price (A23), or is forfeited (A24)
        per_round[rnd.pk].append(d)
    for deposits in per_round.values():
        rnd = deposits[0].registration.round
        closed = rnd.withdrawn_at if rnd.status == Status.WITHDRAWN else rnd.closed_at
        if closed is None:
            continue
        due = closed if rnd.status == Status.WITHDRAWN else deadlines.release_due_by(closed)
        rows.append(Deadline("A23", "release_deposits", due, now, rnd.lot.title, rnd.lot_id, rnd.pk,
                             {"count": len(deposits), "amount": sum(d.amount for d in deposits)}))

    # A25: the buyer's balance by the deadline of the announcement (then A24: the default).
    for rnd in court_rounds.filter(status=Status.SOLD, balance_due_at__isnull=False).order_by("balance_due_at")[:LIMIT]:
        rows.append(Deadline("A25", "balance", rnd.balance_due_at, now, rnd.lot.title, rnd.lot_id, rnd.pk,
                             {"remaining": balances.balance_remaining(rnd)}))

    # A28: a suspended round resumed within 5 days of the end of its cause.
    for rnd in court_rounds.filter(status=Status.SUSPENDED, suspension_cause_ended_at__isnull=False)[:LIMIT]:
        rows.append(Deadline("A28", "resume", deadlines.resume_due_by(rnd.suspension_cause_ended_at), now, rnd.lot.title,
                             rnd.lot_id, rnd.pk))

    return deadlines.order_for_desk(rows)


def on_court_desk(sender, *, court_id: int, now: datetime, **kwargs) -> list[Deadline]:
    """Receiver of lots.signals.court_desk."""
    return court_desk(court_id, now)
