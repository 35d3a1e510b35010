"""Settlement after an in-kind settlement ([C] A16) and with a forfeited deposit (A24)."""

import pytest
from django.db import transaction

from escrow import ledger
from escrow.ledger import Line
from lots.models import EnforcementCase
from settlement.models import OutboxMessage, Settlement
from tests.settlement.conftest import make_lot, make_round, pay_in_full, register, sell

pytestmark = pytest.mark.django_db


def test_in_kind_settlement_is_settled_and_reported_without_moving_money(enforcement_case, judge, as_user):
    from settlement.models import InKindSettlement
    from settlement.services import settle_in_kind

    lot = make_lot(enforcement_case)
    first = make_round(lot, number=1, status="failed")
    second = make_round(lot, number=2, start=264_740_000, deposit=30_000_000, status="failed", previous=first)
    settle_in_kind(judge, round_id=second.pk, creditor="苏州银行股份有限公司")  # settlement's service ([C] A16)
    assert InKindSettlement.objects.get(lot=lot).price == second.starting_price
    client = as_user(judge)
    assert client.post(f"/api/v1/rounds/{first.pk}/settle/", {"payouts": []}, format="json").status_code == 409
    resp = client.post(f"/api/v1/rounds/{second.pk}/settle/", {"payouts": []}, format="json")
    assert resp.status_code == 200, resp.json()
    [payout] = resp.json()["payouts"]
    assert payout["kind"] == "in_kind" and payout["payee"] == "苏州银行股份有限公司" and payout["amount"] == 264_740_000
    s = Settlement.objects.get(round=second)
    assert s.ledger_transaction is None and s.available == 0
    enforcement_case.refresh_from_db()
    assert enforcement_case.status == EnforcementCase.Status.SETTLED
    msg = OutboxMessage.objects.get(case=enforcement_case)
    assert msg.payload["satisfied_in_kind"] == 264_740_000 and msg.payload["paid_total"] == 0
    again = client.post(f"/api/v1/rounds/{second.pk}/settle/", {"payouts": []}, format="json")
    assert again.status_code == 409


def test_a_forfeited_deposit_joins_the_proceeds_of_the_reauction(enforcement_case, bidder_factory, judge, as_user):
    """A24: the defaulter's deposit covers costs, then the shortfall of the re-auction, then the debt."""
    lot = make_lot(enforcement_case)
    first = make_round(lot, number=1, status="closed")
    defaulter = register(first, bidder_factory(real_name="违约人"), "D001")
    sell(first, defaulter, 340_000_000)
    with transaction.atomic():  # what escrow's default path does: the deposit goes to the case's forfeit account
        ledger.post("deposit_forfeited", [Line(ledger.provider_cash_account(), debit=first.deposit),
                                          Line(ledger.forfeit_account(enforcement_case), credit=first.deposit)], case=enforcement_case)
    first.status = "defaulted"
    first.save()
    second = make_round(lot, number=2, start=264_740_000, deposit=30_000_000, status="closed", previous=first)
    buyer = register(second, bidder_factory(real_name="新买受人"), "B002")
    sell(second, buyer, 300_000_000)
    pay_in_full(second)
    available = 300_000_000 + first.deposit
    resp = as_user(judge).post(f"/api/v1/rounds/{second.pk}/settle/", {"payouts": [
        {"kind": "cost", "payee": "拍卖费用(二拍)", "amount": 2_000_000},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": available - 2_000_000},
    ]}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["available"] == available
    assert ledger.balance(ledger.case_account(enforcement_case)) == 0
    assert ledger.balance(ledger.forfeit_account(enforcement_case)) == 0
    # More than price + forfeit is refused.
    assert Settlement.objects.get(round=second).distributed == available


def test_over_distribution_counts_the_forfeit_only_once(enforcement_case, bidder_factory, judge, as_user):
    lot = make_lot(enforcement_case)
    first = make_round(lot, number=1, status="defaulted")
    with transaction.atomic():
        ledger.post("deposit_forfeited", [Line(ledger.provider_cash_account(), debit=1_000),
                                          Line(ledger.forfeit_account(enforcement_case), credit=1_000)], case=enforcement_case)
    second = make_round(lot, number=2, start=264_740_000, deposit=30_000_000, status="closed", previous=first)
    sell(second, register(second, bidder_factory(), "B003"), 300_000_000)
    pay_in_full(second)
    resp = as_user(judge).post(f"/api/v1/rounds/{second.pk}/settle/", {"payouts": [
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 300_000_000 + 1_001}]}, format="json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "over_distribution"
    assert ledger.balance(ledger.forfeit_account(enforcement_case)) == 1_000
