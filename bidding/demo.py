"""Demo data of bidding, loaded by `manage.py load_demo` after lots and escrow.

For every open auction round, the demo bidders whose deposits escrow's demo has held place a few
bids through the real engine (`services.place_bid`), so the live page has a price, a leader, a bid
history and a chart. Sell-off rounds are left for a visitor to buy.
"""

from bidding.services import place_bid
from escrow.models import Registration
from lots.models import Round

BIDS_PER_ROUND = 6


def load(stdout=None) -> None:
    placed = 0
    for rnd in Round.objects.filter(status=Round.Status.OPEN, kind=Round.Kind.AUCTION).order_by("pk"):
        regs = list(Registration.objects.filter(round=rnd, status=Registration.Status.HELD).exclude(code=None)
                    .select_related("bidder").order_by("pk"))
        if len(regs) < 2:
            continue
        for i in range(BIDS_PER_ROUND):
            rnd.refresh_from_db()
            amount = rnd.starting_price if rnd.current_price is None else rnd.current_price + rnd.increment * (1 + i % 3)
            result = place_bid(regs[i % len(regs)].bidder, round_id=rnd.pk, amount=amount, via="demo")
            placed += int(result.accepted)
    if stdout:
        stdout.write(f"  bidding: {placed} demo bids placed\n")
