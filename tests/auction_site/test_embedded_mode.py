"""The embedded mode (`make run` on a bare machine: SQLite, no Redis) places bids through the same engine.

The engine's hot path is plain SQL written for PostgreSQL and kept portable; this runs it for real on
SQLite in a child process (the suite itself runs on PostgreSQL).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
import django
django.setup()
from auction_site.audit import verify_chains
from auction_site.models import AuditRecord
from escrow.models import Registration
from bidding.models import Bid
from bidding.services import BidAttempt, place_bids
from lots.models import Round

rnd = Round.objects.filter(status="open", kind="auction").first()
first, second = Registration.objects.filter(round=rnd, status="held", priority_rank__isnull=True).exclude(pk=rnd.leader_id)[:2]
price = rnd.current_price or rnd.starting_price
bids_before = Bid.objects.filter(round=rnd).count()
results = place_bids(rnd.pk, [BidAttempt(first.bidder, price + rnd.increment, "a"),
                              BidAttempt(second.bidder, price + rnd.increment, "b"),
                              BidAttempt(second.bidder, price + 2 * rnd.increment, "c")])
rnd.refresh_from_db()
last = AuditRecord.objects.filter(action="bid.placed").order_by("-id").first()
print(json.dumps({
    "outcomes": [r.code if not r.accepted else "accepted" for r in results],
    "new_bids": Bid.objects.filter(round=rnd).count() - bids_before,
    "price_moved": rnd.current_price == price + 2 * rnd.increment, "leader": rnd.leader_id == second.pk,
    "audited_bid": last.object_type == "bidding.bid" and Bid.objects.filter(pk=last.object_id, round=rnd).exists(),
    "chain_intact": verify_chains() is None,
}))
"""


def test_bids_on_sqlite_without_redis(demo_copy):
    _, env = demo_copy  # the embedded defaults, the demo migrated and loaded
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"outcomes": ["accepted", "too_low", "accepted"], "new_bids": 2, "price_moved": True, "leader": True,
                      "audited_bid": True, "chain_intact": True}
