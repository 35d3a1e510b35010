"""Demo data of settlement, loaded by `manage.py load_demo` after lots, valuation, escrow and bidding.

The demo's sold rounds come from lots with a price but no bid history (bidding's demo only bids on
open rounds). For those, the demo bidders whose deposits escrow's demo holds get a short bid history
ending at the sale price and the last bidder becomes the buyer, their deposit moves to the case
account (escrow's own service), and the sale documents (A22) are generated, so the lot pages, the
judge's pages and the dashboard show something. Works on SQLite with local file storage.
"""

from datetime import timedelta

from auction_site import audit
from bidding.models import Bid
from escrow.models import Registration
from escrow.services import apply_winner_deposit
from lots.models import Round
from settlement import documents, rules, services

MAX_BIDS = 8


def _bid_history(rnd: Round) -> bool:
    """A plausible history for a sold demo round without one: codes alternate, the last bid is the price."""
    regs = list(Registration.objects.filter(round=rnd, status=Registration.Status.HELD).exclude(code=None).order_by("pk"))
    if not regs or rnd.sold_price is None or rnd.sold_price < rnd.starting_price:
        return False
    steps = (rnd.sold_price - rnd.starting_price) // rnd.increment
    amounts = [rnd.starting_price + k * rnd.increment for k in range(max(steps - MAX_BIDS + 2, 0), steps)]
    amounts.append(rnd.sold_price)
    if len(amounts) > 1 and amounts[0] != rnd.starting_price:
        amounts[0] = rnd.starting_price
    end = rnd.closed_at or rnd.ends_at
    order = list(reversed(regs)) if len(regs) > 1 else regs
    n = len(amounts)
    for i, amount in enumerate(amounts):
        reg = order[(n - 1 - i) % len(order)]  # the last bid belongs to order[0]
        at = end - timedelta(minutes=7 * (n - i))
        bid = Bid.objects.create(round=rnd, registration=reg, seq=i + 1, amount=amount, placed_at=at)
        audit.record("bid.placed", bid, chain=rnd, data={"round": rnd.pk, "code": reg.code, "amount": amount, "via": "demo"})
    winner = order[0]
    Round.objects.filter(pk=rnd.pk).update(leader_id=winner.pk, leader_code=winner.code or "", current_price=rnd.sold_price, bid_count=n, seq=rnd.seq + n,
                                           closed_at=end)
    rnd.refresh_from_db()
    try:

        apply_winner_deposit(None, reg=winner)  # A23/A25: the winner's deposit counts toward the price
    except Exception:  # noqa: BLE001 - demo data: a missing deposit only leaves the money part out
        pass
    return True


def load(stdout=None) -> None:
    histories = 0
    for rnd in Round.objects.filter(status__in=rules.DEAL_STATUSES, leader_id__isnull=True, bid_count=0).order_by("id"):
        histories += int(_bid_history(rnd))
    made = 0
    rounds = (Round.objects.filter(status__in=rules.CONFIRMATION_STATUSES, leader_id__isnull=False, sold_price__isnull=False)
              .order_by("id"))
    for rnd in rounds:
        try:
            made += len(services.generate_due_documents(rnd))
        except documents.FontMissing as exc:
            if stdout:
                stdout.write(f"  settlement: sale documents skipped: {exc}\n")
            return
    if stdout:
        stdout.write(f"  settlement: {histories} sold rounds given a buyer, {made} sale documents for {rounds.count()} rounds\n")
