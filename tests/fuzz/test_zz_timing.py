import time
from importlib import import_module
import pytest

@pytest.mark.django_db
def test_time_demo():
    from lots.media import ensure_bucket
    ensure_bucket()
    out = []
    for dotted in ["lots.demo", "avm.demo", "valuation.demo", "escrow.demo", "bidding.demo", "settlement.demo"]:
        t0 = time.monotonic()
        import_module(dotted).load(stdout=open("/dev/null", "w"))
        out.append(f"{dotted}: {time.monotonic() - t0:.1f}")
    open("/tmp/hostile/timing.txt", "w").write("\n".join(out))
