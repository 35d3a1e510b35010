"""The court's dashboard: figures on a small known data set, scope by court, CSV, pages."""

import csv
import io
from datetime import timedelta

import pytest

from auction_site import clock
from settlement import selectors
from tests.settlement.conftest import credit_case, make_lot, make_round, register

pytestmark = pytest.mark.django_db
Y = 100  # fen per yuan


@pytest.fixture
def known_data(enforcement_case, other_court, bidder_factory):
    """Court 苏05: 4 ended rounds (3 deals in three commission bands, 1 failure), 1 open round.
    Court 浙01: 1 sold round that must not show in 苏05's figures."""
    from lots.models import EnforcementCase

    lot = make_lot(enforcement_case)
    b = bidder_factory()
    deals = [(1_000_000, 1_500_000), (4_000_000, 5_000_000), (15_000_000, 20_000_000)]  # (start, price) in yuan
    rounds = []
    for i, (start, price) in enumerate(deals, start=1):
        r = make_round(lot, number=i, start=start * Y, deposit=start * Y // 10, increment=1000 * Y, status="sold")
        reg = register(r, b, f"C{i:03d}")
        r.leader_id, r.leader_code, r.sold_price, r.closed_at = reg.pk, reg.code or "", price * Y, clock.now() - timedelta(days=40 * i)
        r.balance_due_at = r.closed_at + timedelta(days=10)
        r.save()
        rounds.append(r)
    rounds[0].status = "paid"
    rounds[0].save()
    failed = make_round(lot, number=4, start=1_000_000 * Y, deposit=100_000 * Y, increment=1000 * Y, status="failed",
                        closed_at=clock.now() - timedelta(days=2))
    loser = register(failed, bidder_factory(), "F001")  # still held 48 h after the close: overdue (A23)
    from escrow.models import Deposit

    Deposit.objects.create(registration=loser, amount=failed.deposit, provider="sandbox", payment_intent_id="pi_sbx_e2e_1",
                           held_at=clock.now() - timedelta(days=3), created_at=clock.now() - timedelta(days=3))
    make_round(lot, number=5, start=1_000_000 * Y, deposit=100_000 * Y, increment=1000 * Y, status="open",
               ends_at=clock.now() + timedelta(days=1))
    other_case = EnforcementCase.objects.create(court=other_court, case_number="(2024)浙01执9号", applicants=["甲"],
                                                respondents=["乙"], amount_owed=1, created_at=clock.now())
    o = make_round(make_lot(other_case), start=1_000_000 * Y, deposit=100_000 * Y, increment=1000 * Y, status="sold",
                   sold_price=9_000_000 * Y, closed_at=clock.now())
    credit_case(enforcement_case, rounds[0], 150_000 * Y)
    credit_case(other_case, o, 1 * Y)
    return rounds


def test_dashboard_figures_on_known_data(known_data, court):
    d = selectors.dashboard(court)
    assert d.auctioned == 4 and d.sold == 3
    assert d.sale_rate_bp == 7500  # 3 / 4
    # Premium = (Σprice − Σstart) / Σstart = (26.5M − 20M) / 20M = 32.5%
    assert d.premium_rate_bp == 3250
    # Commission saved, progressive by band:
    # 150万 × 5% = 75,000; 500万: 100,000 + 90,000 = 190,000; 2000万: 100,000 + 240,000 + 200,000 = 540,000
    assert d.commission_saved == (75_000 + 190_000 + 540_000) * Y
    assert d.by_status == {"paid": 1, "sold": 2, "failed": 1, "open": 1}
    assert d.case_accounts == 150_000 * Y
    assert d.overdue_balances == 2  # rounds 2 and 3: sold, balance deadline passed, not paid (A25)
    assert d.overdue_refunds == 1  # the losing deposit on the failed round, closed 2 days ago (A23)
    assert sum(m["sold"] for m in d.months) == 3
    assert sum(m["amount"] for m in d.months) == 26_500_000 * Y


def test_dashboard_all_courts_for_an_operator(known_data):
    d = selectors.dashboard(None)
    assert d.auctioned == 5 and d.sold == 4
    assert d.sale_rate_bp == 8000
    assert d.provider_cash == 150_001 * Y


def test_dashboard_page_judge_sees_own_court_operator_filters(known_data, client, judge, court, other_court, django_user_model):
    client.force_login(judge)
    resp = client.get("/court/dashboard/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "75.00%" in html and "32.50%" in html and "805,000.00" in html
    assert "chart.umd.min.js" in html
    assert 'id="overdue-balance-list"' in html and "/court/rounds/" in html  # the overdue balances, linked
    op = django_user_model.objects.create_user(username="op", password="pass-1234-word", role="operator")
    client.force_login(op)
    all_courts = client.get("/court/dashboard/").content.decode()
    assert "80.00%" in all_courts
    filtered = client.get(f"/court/dashboard/?court={other_court.pk}").content.decode()
    assert "100.00%" in filtered


def test_dashboard_refuses_bidders_and_anonymous(client, bidder):
    assert client.get("/court/dashboard/").status_code == 302  # to the login page
    client.force_login(bidder)
    assert client.get("/court/dashboard/").status_code == 403
    assert client.get("/court/dashboard.csv").status_code == 403


def test_dashboard_csv(known_data, client, judge):
    client.force_login(judge)
    resp = client.get("/court/dashboard.csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "round_id")
    data = rows[header + 1:]
    assert len(data) == 4  # only 苏05's ended rounds
    by_price = {r[9]: r for r in data if r[9]}
    assert by_price[str(20_000_000 * Y)][11] == str(540_000 * Y)
    assert by_price[str(1_500_000 * Y)][10] == "5000"  # 50% premium


def test_commission_in_the_database_equals_the_rule_for_every_band(enforcement_case):
    """The dashboard sums [C] A29 in SQL; it must agree with rules.commission_saved to the fen."""
    from lots.models import Round
    from settlement import rules

    lot = make_lot(enforcement_case)
    prices = [1, 10, 15, 199_999_999, 200_000_000, 200_000_001, 555_555_555, 1_000_000_000, 1_000_000_050,
              3_333_333_333, 5_000_000_000, 7_777_777_777, 10_000_000_000, 10_000_000_001, 123_456_789_012]
    for i, price in enumerate(prices, start=1):
        make_round(lot, number=i, start=1, deposit=1, increment=1, status="sold", sold_price=price, closed_at=clock.now())
    annotated = dict(Round.objects.filter(lot=lot).annotate(c=selectors.commission_expression()).values_list("sold_price", "c"))
    for price in prices:
        assert int(annotated[price]) == rules.commission_saved(price), price
    assert selectors.dashboard(None).commission_saved == sum(rules.commission_saved(p) for p in prices)
