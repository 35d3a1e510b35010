"""POST /api/v1/rounds/{id}/settle/: the judge distributes the case account; nothing moves on bad input."""

import pytest

from escrow import ledger
from escrow.models import LedgerEntry, LedgerTransaction
from lots.models import EnforcementCase
from settlement.models import OutboxMessage, Settlement

pytestmark = pytest.mark.django_db

PRICE = 331_925_000


def settle(client, round, payouts):
    return client.post(f"/api/v1/rounds/{round.pk}/settle/", {"payouts": payouts}, format="json")


def money_snapshot():
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count(), Settlement.objects.count(), OutboxMessage.objects.count()


def test_judge_settles_costs_taxes_creditor_and_remainder_goes_to_the_debtor(paid_round, judge, as_user):
    case = paid_round.lot.case
    assert ledger.balance(ledger.case_account(case)) == PRICE
    resp = settle(as_user(judge), paid_round, [
        {"kind": "cost", "payee": "苏州市中级人民法院(执行费)", "amount": 1_200_000},
        {"kind": "tax", "payee": "国家税务总局苏州市税务局", "amount": 15_000_000, "borne_by": "seller"},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 300_000_000, "claim": 500_000_000},
    ])
    assert resp.status_code == 400, resp.json()  # remainder while the creditor is short
    assert resp.json()["error"]["code"] == "remainder_before_debt"
    resp = settle(as_user(judge), paid_round, [
        {"kind": "cost", "payee": "苏州市中级人民法院(执行费)", "amount": 1_200_000},
        {"kind": "tax", "payee": "国家税务总局苏州市税务局", "amount": 15_000_000, "borne_by": "seller"},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE - 16_200_000, "claim": 500_000_000},
    ])
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["round_status"] == "settled"
    assert body["remainder_to_debtor"] == 0
    assert sum(p["amount"] for p in body["payouts"]) == PRICE
    assert ledger.balance(ledger.case_account(case)) == 0
    paid_round.refresh_from_db()
    assert paid_round.status == "settled"
    case.refresh_from_db()
    assert case.status == EnforcementCase.Status.SETTLED
    assert OutboxMessage.objects.filter(case=case).count() == 1


def test_surplus_returns_to_the_debtor_once_the_debt_is_paid(paid_round, judge, as_user):
    case = paid_round.lot.case
    case.amount_owed = 100_000_000
    case.save()
    resp = settle(as_user(judge), paid_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 100_000_000}])
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["remainder_to_debtor"] == PRICE - 100_000_000
    assert body["payouts"][-1] == {"position": 2, "kind": "debtor", "payee": "张三", "amount": PRICE - 100_000_000,
                                   "borne_by": None, "claim": None}
    assert ledger.balance(ledger.case_account(case)) == 0


def test_settling_more_than_the_balance_is_refused_and_nothing_moves(paid_round, judge, as_user):
    before = money_snapshot()
    resp = settle(as_user(judge), paid_round, [
        {"kind": "cost", "payee": "执行费", "amount": 1_000_000},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE},
    ])
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "over_distribution"
    assert money_snapshot() == before
    paid_round.refresh_from_db()
    assert paid_round.status == "paid"


def test_settling_twice_is_refused_and_nothing_moves(paid_round, judge, as_user):
    case = paid_round.lot.case
    case.amount_owed = PRICE
    case.save()
    ok = settle(as_user(judge), paid_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE}])
    assert ok.status_code == 200
    before = money_snapshot()
    again = settle(as_user(judge), paid_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 1}])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_settled"
    assert money_snapshot() == before


def test_settling_an_unsold_or_unpaid_round_is_refused(sold_round, judge, as_user, enforcement_case):
    from tests.settlement.conftest import credit_case, make_round

    credit_case(enforcement_case, sold_round, sold_round.deposit)  # the deposit is in, the balance is not
    before = money_snapshot()
    resp = settle(as_user(judge), sold_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 1_000}])
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "not_paid"
    failed = make_round(sold_round.lot, number=2, status="failed")
    resp = settle(as_user(judge), failed, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 1_000}])
    assert resp.status_code == 409
    assert money_snapshot() == before


@pytest.mark.parametrize("payouts, code", [
    ([{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 1.5}], "invalid"),
    ([{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": "100"}], "invalid"),
    ([{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": -100}], "invalid"),
    ([{"kind": "creditor", "payee": "某不相干公司", "amount": 100}], "not_a_creditor"),
    ([{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 100}, {"kind": "cost", "payee": "执行费", "amount": 100}], "payment_order"),
    ([{"kind": "tax", "payee": "税务局", "amount": 100, "borne_by": "buyer"}], "tax_not_from_proceeds"),
    ([{"kind": "tax", "payee": "税务局", "amount": 100}], "tax_borne_by"),
    ([], "no_payouts"),
])
def test_bad_payouts_are_refused_with_the_contract_error(paid_round, judge, as_user, payouts, code):
    before = money_snapshot()
    resp = settle(as_user(judge), paid_round, payouts)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == code
    assert money_snapshot() == before


def test_malformed_json_and_unknown_round(paid_round, judge, as_user):
    client = as_user(judge)
    resp = client.post(f"/api/v1/rounds/{paid_round.pk}/settle/", "{oops", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "malformed"
    resp = settle(client, type(paid_round)(pk=999_999), [{"kind": "cost", "payee": "x", "amount": 1}])
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_only_a_judge_of_the_court_may_settle(paid_round, other_judge, bidder, as_user, api_client):
    before = money_snapshot()
    payouts = [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": 1_000}]
    assert settle(as_user(other_judge), paid_round, payouts).status_code == 403
    assert settle(as_user(bidder), paid_round, payouts).status_code == 403
    assert settle(api_client, paid_round, payouts).status_code in (401, 403)
    assert money_snapshot() == before


def test_tax_arrangement_as_announced(paid_round, judge, as_user):
    lot = paid_round.lot
    lot.transfer_tax_payer = "seller"  # the debtor bears every tax, the buyer's included
    lot.save()
    case = lot.case
    case.amount_owed = PRICE
    case.save()
    resp = settle(as_user(judge), paid_round, [
        {"kind": "tax", "payee": "税务局(买方契税)", "amount": 9_000_000, "borne_by": "buyer"},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE - 9_000_000},
    ])
    assert resp.status_code == 200, resp.json()


def test_round_settled_writes_audit_and_case_stays_open_while_another_round_is_live(paid_round, judge, as_user):
    from auction_site.models import AuditRecord
    from tests.settlement.conftest import make_lot, make_round

    other = make_round(make_lot(paid_round.lot.case, title="车辆"), status="announced")
    case = paid_round.lot.case
    case.amount_owed = PRICE
    case.save()
    assert settle(as_user(judge), paid_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE}]).status_code == 200
    case.refresh_from_db()
    assert case.status == "open"
    assert other.status == "announced"
    assert AuditRecord.objects.filter(action="round.settled", object_id=str(paid_round.pk)).exists()
    paid_round.refresh_from_db()
    assert paid_round.seq == 1


def test_openapi_schema_documents_settlement_calls(api_client):
    import yaml

    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    for path in ["/api/v1/rounds/{id}/settle/", "/api/v1/rounds/{id}/result/", "/api/v1/rounds/{id}/documents/",
                 "/api/v1/cases/{id}/outcome/"]:
        assert path in schema["paths"], path
    payout = schema["components"]["schemas"]["PayoutRequest"]["properties"]
    assert payout["amount"]["type"] == "integer"


def test_the_ledger_refuses_an_overdraw_even_if_the_rule_check_were_skipped(paid_round, judge, as_user, monkeypatch):
    """Defence in depth: with the explicit check switched off, the ledger still refuses to overdraw the case account."""
    from settlement import rules

    monkeypatch.setattr(rules, "check_distribution", lambda *a, **k: None)
    before = money_snapshot()
    resp = settle(as_user(judge), paid_round, [{"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": PRICE + 1}])
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "insufficient_balance"
    assert money_snapshot() == before
    paid_round.refresh_from_db()
    assert paid_round.status == "paid"
