"""Run by tests/auction_site/test_private_test_servers.py through scripts/test.sh (not collected on
its own: the name does not start with test_). One run of the suite against the localstripe that
scripts/test.sh started for it."""

import os
from pathlib import Path

from escrow.gateway import get_gateway

SHARED_STORE = Path("/tmp/localstripe.pickle")  # where localstripe keeps its objects unless told otherwise


def test_this_run_sees_no_payment_of_another_run_and_leaves_none_behind():
    mark = os.environ["PROBE_MARK"]
    gw = get_gateway("stripe")
    assert [p.id for p in gw.all_payments() if p.metadata.get("mark") == mark] == []
    payment = gw.create_payment(100, idempotency_key=f"probe:{mark}", metadata={"kind": "probe", "mark": mark})
    assert gw.retrieve_payment(payment.id).metadata["mark"] == mark
    assert not SHARED_STORE.exists() or payment.id.encode() not in SHARED_STORE.read_bytes()
