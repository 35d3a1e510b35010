"""Two clocks or two judges at once: one settlement, one document per kind, one delivery."""

import threading
import time

import pytest
from django.db import connection

from auction_site import clock
from auction_site.errors import DomainError
from escrow import ledger
from settlement import services
from settlement.models import OutboxMessage, SaleDocument, Settlement
from tests.settlement.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(fn, n=2):
    results: list = []
    barrier = threading.Barrier(n)

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")


def test_two_settlements_at_once_settle_once(paid_round, judge):
    needs_postgres()
    case = paid_round.lot.case
    case.amount_owed = paid_round.sold_price
    case.save()
    payouts = [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": paid_round.sold_price}]
    results = run_together(lambda: services.settle_round(judge, round_id=paid_round.pk, raw_payouts=payouts))
    ok = [r for r in results if isinstance(r, services.SettleResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 1 and len(refused) == 1 and refused[0].code == "already_settled", results
    assert Settlement.objects.count() == 1
    assert ledger.balance(ledger.case_account(case)) == 0
    assert OutboxMessage.objects.count() == 1


def test_two_clocks_make_one_document_per_kind(paid_round):
    needs_postgres()
    from settlement import clockwork

    run_together(lambda: clockwork.tick(clock.now()))
    assert SaleDocument.objects.filter(round=paid_round, kind="confirmation").count() == 1
    assert SaleDocument.objects.filter(round=paid_round, kind="ruling").count() == 1


def test_two_clocks_deliver_a_message_once(paid_round, judge, settings):
    needs_postgres()
    case = paid_round.lot.case
    case.amount_owed = paid_round.sold_price
    case.save()
    services.settle_round(judge, round_id=paid_round.pk, raw_payouts=[{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": paid_round.sold_price}])
    with Receiver() as rx:
        original = rx.server.RequestHandlerClass.do_POST

        def slow(handler):
            time.sleep(0.5)  # the first delivery is still in flight when the second clock looks
            original(handler)

        rx.server.RequestHandlerClass.do_POST = slow
        settings.CASE_SYSTEM_WEBHOOK_URL = rx.url
        run_together(lambda: services.deliver_due(clock.now()))
    assert len(rx.requests) == 1
    assert OutboxMessage.objects.get().attempts == 1
