"""Work the clock process does for the AVM on each tick (see auction_site/ticks.py).

Records every newly sold round as a past sale the model prices from, and voids the past sale of a
round whose buyer defaulted. Idempotent: one past sale per round (unique), conditional updates.
"""

from datetime import datetime

from avm.models import PastSale
from avm.service import SOLD_STATUSES, record_platform_sale, void_defaulted_sales
from lots.models import Round

BATCH = 500


def tick(now: datetime) -> dict:
    recorded_ids = PastSale.objects.filter(round__isnull=False).values("round_id")
    pending = Round.objects.filter(status__in=SOLD_STATUSES, sold_price__isnull=False).exclude(pk__in=recorded_ids).order_by("pk")[:BATCH]
    recorded = 0
    for rnd in pending:
        if record_platform_sale(rnd) is not None:
            recorded += 1
    return {"recorded": recorded, "voided": void_defaulted_sales(now)}
