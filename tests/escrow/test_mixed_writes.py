"""Mixed writes on one round at once (issue 11): registrations, deposit payments, bids, proxy ceilings and
the clock, from many threads on real PostgreSQL — no deadlock, no 500, nothing half-written.

And a slow provider (a Stripe call that takes 5 s) never stalls the round's bids: provider calls are
made outside every lock the bid engine needs (docs/architecture.md, Locks).
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from auction_site import audit, clock
from bidding.models import Bid
from escrow import gateway
from escrow.models import Registration
from lots.models import Round
from tests.bidding.conftest import hold, make_lot, make_round
from tests.conftest import token_client
from tests.escrow.conftest import CARD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0


def _threads(targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a worker is stuck (deadlock?)"


def test_registrations_payments_bids_and_the_clock_at_once_on_one_round(enforcement_case, bidder_factory):
    if connection.vendor != "postgresql":
        pytest.skip("a concurrency test of PostgreSQL's locks")
    lot = make_lot(enforcement_case)
    rnd = make_round(lot, deposit=5_000_00, starting_price=50_000_00, increment=1_000_00)
    bidding = [bidder_factory() for _ in range(6)]
    for i, user in enumerate(bidding):
        hold(rnd, user, f"H{i:03d}")
    newcomers = [bidder_factory() for _ in range(6)]
    statuses: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def note(resp, what):
        with lock:
            statuses.append(resp.status_code)
            if resp.status_code >= 500:
                errors.append(f"{what}: {resp.status_code} {resp.content[:300]!r}")

    def bidder(user, offset):
        def run():
            try:
                client = token_client(user)
                for k in range(12):
                    amount = rnd.starting_price + (offset + 6 * k) * rnd.increment
                    note(client.post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": amount}, format="json"), "bid")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"bid worker: {exc!r}")
            finally:
                connection.close()
        return run

    def registrant(user):
        def run():
            try:
                client = token_client(user)
                r = client.post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
                note(r, "register")
                if r.status_code == 201:
                    reg_id = r.json()["registration"]["id"]
                    for _ in range(2):  # a double click on "pay"
                        note(client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": CARD}, format="json"), "pay")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(f"register worker: {exc!r}")
            finally:
                connection.close()
        return run

    def clock_worker():
        from auction_site.ticks import run_all

        try:
            for _ in range(8):
                run_all()
                time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"clock: {exc!r}")
        finally:
            connection.close()

    _threads([bidder(u, i) for i, u in enumerate(bidding)] + [registrant(u) for u in newcomers] + [clock_worker])

    assert errors == [], "\n".join(errors)
    assert statuses and max(statuses) < 500
    regs = Registration.objects.filter(round=rnd, bidder__in=newcomers)
    assert sorted(regs.values_list("status", flat=True)) == ["held"] * 6  # every newcomer paid once and holds a code
    assert all(r.code for r in regs)
    rnd.refresh_from_db()
    seqs = list(Bid.objects.filter(round=rnd).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, rnd.bid_count + 1)) and rnd.seq == rnd.bid_count  # no gap, no lost live state
    amounts = list(Bid.objects.filter(round=rnd).order_by("seq").values_list("amount", flat=True))
    assert amounts == sorted(amounts) and rnd.current_price == amounts[-1]
    assert audit.verify_chains() is None


def test_a_slow_provider_never_stalls_the_bids_of_the_round(enforcement_case, bidder_factory, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("a concurrency test of PostgreSQL's locks")
    lot = make_lot(enforcement_case)
    rnd = make_round(lot, deposit=5_000_00, starting_price=50_000_00, increment=1_000_00)
    a, b = bidder_factory(), bidder_factory()
    hold(rnd, a, "S001")
    hold(rnd, b, "S002")
    newcomer = bidder_factory()
    slow = 5.0
    in_provider = threading.Event()
    real_create = gateway.StripeGateway.create_payment
    real_sandbox = gateway.SandboxGateway.create_payment

    def slow_create(self, *args, **kwargs):
        in_provider.set()
        time.sleep(slow)
        return (real_create if isinstance(self, gateway.StripeGateway) else real_sandbox)(self, *args, **kwargs)

    monkeypatch.setattr(gateway.StripeGateway, "create_payment", slow_create)
    monkeypatch.setattr(gateway.SandboxGateway, "create_payment", slow_create)
    outcome = {}

    def register():
        try:
            outcome["register"] = token_client(newcomer).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json").status_code
        finally:
            connection.close()

    worker = threading.Thread(target=register)
    worker.start()
    assert in_provider.wait(10)
    timings = []
    for k in range(6):
        who = a if k % 2 == 0 else b
        started = time.monotonic()
        r = token_client(who).post(f"/api/v1/rounds/{rnd.pk}/bids/", {"amount": rnd.starting_price + k * rnd.increment}, format="json")
        timings.append(time.monotonic() - started)
        assert r.status_code == 201, r.content
    worker.join(30)
    assert outcome["register"] == 201
    assert max(timings) < slow / 2, f"bids waited for the provider: {timings}"  # a stalled bid would wait the whole 5 s
    assert Round.objects.get(pk=rnd.pk).bid_count == 6
    assert clock.now() - rnd.starts_at < timedelta(days=1)
