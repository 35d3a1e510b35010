"""Issue 13, point 10: what a failed provider call leaves behind is finished by the clock, and
reconciliation compares only what belongs to the provider it is asked about.

- A bidder registers while the provider cannot be reached: the registration and its deposit are
  written, the payment is not. The clock asks for the payment again while the round takes
  registrations, and cancels the registration once the round is over (nothing was charged).
- `manage.py reconcile --provider stripe` on a site whose demo deposits went through the sandbox
  (what `load_demo` does) agrees, and so does `--provider sandbox`.
"""

import subprocess
import sys
from datetime import timedelta

import pytest

from auction_site import clock
from escrow import clockwork, demo, services
from escrow.gateway import get_gateway
from escrow.models import Deposit, Registration
from tests.conftest import ROOT, _test_env, free_port, token_client
from tests.escrow.conftest import CARD, close_round, register_and_pay

pytestmark = pytest.mark.django_db(transaction=True)


def _register_while_the_provider_is_down(user, rnd, settings) -> Registration:
    real_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        r = token_client(user).post(f"/api/v1/rounds/{rnd.pk}/register/", format="json")
    finally:
        settings.STRIPE_API_BASE = real_base
        get_gateway()  # the stripe library's base back to the running provider
    assert r.status_code == 502, r.content
    assert r.json()["error"]["code"] == "payment_provider_error"
    reg = Registration.objects.get(round=rnd, bidder=user)
    assert reg.status == "pending" and Deposit.objects.get(registration=reg).payment_intent_id is None
    return reg


def _payments_of(reg: Registration) -> list:
    return [p for p in get_gateway().all_payments() if p.metadata.get("registration") == str(reg.pk)]


def test_the_clock_asks_again_for_a_payment_the_provider_failed_to_start(bidder, round_factory, settings, advance_clock):
    rnd = round_factory("announced")
    reg = _register_while_the_provider_is_down(bidder, rnd, settings)

    assert clockwork.tick(clock.now()).get("payments_started") is None  # the registering request may still be at it
    advance_clock(minutes=2)
    report = clockwork.tick(clock.now())
    assert report.get("payments_started") == 1, report
    d = Deposit.objects.get(registration=reg)
    assert d.payment_intent_id and [p.id for p in _payments_of(reg)] == [d.payment_intent_id]
    # The bidder can now pay and bid; the next ticks start nothing more.
    r = token_client(bidder).post(f"/api/v1/registrations/{reg.pk}/pay/", {"card": CARD}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "held"
    advance_clock(minutes=10)
    clockwork.tick(clock.now())
    assert len(_payments_of(reg)) == 1


def test_a_registration_that_never_got_a_payment_is_cancelled_when_the_round_is_over(bidder, round_factory, settings, advance_clock):
    rnd = round_factory("open")
    reg = _register_while_the_provider_is_down(bidder, rnd, settings)
    close_round(rnd)
    advance_clock(minutes=2)
    report = clockwork.tick(clock.now())
    assert report.get("cancelled") == 1, report
    reg.refresh_from_db()
    assert reg.status == "cancelled"
    assert _payments_of(reg) == []  # nothing was ever charged
    from auction_site.models import AuditRecord

    assert AuditRecord.objects.filter(action="registration.cancelled", object_id=str(reg.pk)).exists()


def test_a_provider_still_down_is_asked_again_later_not_on_every_tick(bidder, round_factory, settings, advance_clock, monkeypatch):
    rnd = round_factory("announced")
    reg = _register_while_the_provider_is_down(bidder, rnd, settings)
    asked = []
    real = services.ensure_payment

    def down(actor, /, *, deposit):
        asked.append(deposit.pk)
        from escrow.gateway import GatewayError

        raise GatewayError("支付机构暂时不可用 / payment provider error: down")

    monkeypatch.setattr(services, "ensure_payment", down)
    advance_clock(minutes=2)
    assert clockwork.tick(clock.now()).get("payment_errors") == 1
    assert clockwork.tick(clock.now()) == {}  # not again at once
    advance_clock(minutes=6)
    monkeypatch.setattr(services, "ensure_payment", real)
    assert clockwork.tick(clock.now()).get("payments_started") == 1
    assert len(asked) == 1 and len(_payments_of(reg)) == 1


def _reconcile(provider: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "reconcile", "--provider", provider], cwd=ROOT,
                          env=_test_env("reconcile"), capture_output=True, text=True, timeout=120)


def test_reconcile_compares_only_what_belongs_to_the_provider_asked(bidder_factory, round_factory):
    # What `load_demo` leaves: deposits paid through the sandbox (some released), whatever the provider is.
    sold, failed = round_factory("open"), round_factory("open", number=2)
    for user in (bidder_factory(), bidder_factory()):
        demo.hold_deposit(user, sold)
    released = demo.hold_deposit(bidder_factory(), failed)
    assert services.release_deposit(None, deposit=Deposit.objects.get(registration=released)) == "released"
    # And a deposit paid through Stripe (localstripe), later released.
    a, b = bidder_factory(), bidder_factory()
    win = register_and_pay(token_client(a), sold.pk)
    register_and_pay(token_client(b), sold.pk)
    close_round(sold, win["id"])
    clockwork.tick(clock.now() + timedelta(minutes=1))

    for provider in ("stripe", "sandbox"):
        proc = _reconcile(provider)
        assert proc.returncode == 0, f"--provider {provider}:\n{proc.stdout}{proc.stderr}"
        assert "ledger, provider and bank statements agree" in proc.stdout
