"""A crash between the provider call and the ledger write: reconciliation sees it, the retry completes it."""

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from auction_site import clock
from escrow import clockwork, ledger
from escrow.gateway import get_gateway
from escrow.models import Deposit, LedgerTransaction, Registration
from tests.concurrency import run_at_once
from tests.conftest import ROOT, _test_env, token_client
from tests.escrow.conftest import CARD, DEPOSIT, close_round, register_and_pay

pytestmark = pytest.mark.django_db(transaction=True)


def manage(*args: str, crash_after: str | None = None) -> subprocess.CompletedProcess:
    env = _test_env("escrowcrash")
    if crash_after:
        env["ESCROW_CRASH_AFTER"] = crash_after
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def reconcile_output() -> tuple[int, str]:
    proc = manage("reconcile")
    return proc.returncode, proc.stdout + proc.stderr


def test_crash_after_the_refund_is_detected_and_completed(bidder_factory, round_factory):
    rnd = round_factory("open")
    a, b = bidder_factory(), bidder_factory()
    win = register_and_pay(token_client(a), rnd.pk)
    lose = register_and_pay(token_client(b), rnd.pk)
    assert reconcile_output()[0] == 0
    close_round(rnd, win["id"])

    proc = manage("escrow_tick", crash_after="refund")
    assert proc.returncode == 17, proc.stderr  # died right after the provider refunded
    reg = Registration.objects.get(pk=lose["id"])
    assert reg.status == "held"  # our database never heard of it
    assert not LedgerTransaction.objects.filter(kind="deposit_released").exists()
    pi = Deposit.objects.get(registration=reg).payment_intent_id
    assert [r.status for r in get_gateway().list_refunds(pi)] == ["succeeded"]

    code, out = reconcile_output()
    assert code != 0
    assert "refund_not_in_ledger" in out and "cash_differs" in out

    clockwork.tick(clock.now())  # the retry finds the provider's refund instead of refunding again
    reg.refresh_from_db()
    assert reg.status == "released"
    assert len(get_gateway().list_refunds(pi)) == 1
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT  # only the winner's deposit is still at the provider
    code, out = reconcile_output()
    assert code == 0, out


def test_crash_after_the_payment_is_detected_and_the_recheck_completes_it(bidder, round_factory):
    rnd = round_factory("announced")
    client = token_client(bidder)
    body = client.post(f"/api/v1/rounds/{rnd.pk}/register/", format="json").json()
    reg_id = body["registration"]["id"]

    proc = manage("escrow_pay", str(reg_id), crash_after="confirm")
    assert proc.returncode == 17, proc.stderr
    assert get_gateway().retrieve_payment(body["payment"]["payment_intent"]).status == "succeeded"
    assert Registration.objects.get(pk=reg_id).status == "pending"

    code, out = reconcile_output()
    assert code != 0 and "payment_not_in_ledger" in out

    r = client.post(f"/api/v1/registrations/{reg_id}/recheck/", format="json")
    assert r.json()["status"] == "held"
    assert ledger.balance(ledger.provider_cash_account()) == DEPOSIT
    assert reconcile_output()[0] == 0


def test_reconcile_lists_a_ledger_entry_the_provider_does_not_know(bidder, round_factory):
    rnd = round_factory("announced")
    register_and_pay(token_client(bidder), rnd.pk)
    # A posting with no provider object behind it (e.g. entered by hand).
    reg = Registration.objects.get(round=rnd)
    ledger.post("deposit_held", [ledger.Line(ledger.provider_cash_account(), debit=1), ledger.Line(ledger.deposit_account(reg), credit=1)],
                external_ref="pi_does_not_exist")
    with pytest.raises(CommandError):
        call_command("reconcile")
    code, out = reconcile_output()
    assert code != 0 and "ledger_payment_not_at_provider" in out and "pi_does_not_exist" in out


def test_card_data_path_is_test_mode_only(bidder, round_factory, settings):
    rnd = round_factory("announced")
    client = token_client(bidder)
    reg_id = client.post(f"/api/v1/rounds/{rnd.pk}/register/", format="json").json()["registration"]["id"]
    settings.CLOCK_ADVANCE_ALLOWED = False
    assert client.post(f"/api/v1/registrations/{reg_id}/pay/", {"card": CARD}, format="json").status_code == 404


def test_two_clocks_at_once_refund_once(bidder_factory, round_factory):


    rnd = round_factory("open")
    a, b, c = bidder_factory(), bidder_factory(), bidder_factory()
    win = register_and_pay(token_client(a), rnd.pk)
    losers = [register_and_pay(token_client(u), rnd.pk) for u in (b, c)]
    close_round(rnd, win["id"])
    run_at_once(lambda: clockwork.tick(clock.now()))
    for lose in losers:
        pi = Deposit.objects.get(registration_id=lose["id"]).payment_intent_id
        assert len(get_gateway().list_refunds(pi)) == 1
        assert Registration.objects.get(pk=lose["id"]).status == "released"
    assert LedgerTransaction.objects.filter(kind="deposit_released").count() == 2
    assert LedgerTransaction.objects.filter(kind="deposit_applied").count() == 1
    assert reconcile_output()[0] == 0
