"""Public results (A18, A22): outcome and bid history by codes; the buyer's name only after a deal."""

import pytest
from django.template import Context, Template

from bidding.models import Bid
from escrow.models import Registration
from settlement import clockwork
from tests.conftest import rewind_status

pytestmark = pytest.mark.django_db


def test_result_api_names_the_buyer_after_the_close_and_nothing_else_personal(sold_round, api_client):
    resp = api_client.get(f"/api/v1/rounds/{sold_round.pk}/result/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "sold"
    assert body["sold_price"] == 331_925_000
    assert body["winner_code"] == "A7K2"
    assert body["buyer_name"] == "张伟"
    assert body["premium_rate_bp"] == 30  # (3,319,250 − 3,309,250) / 3,309,250 ≈ 0.30%
    assert [b["code"] for b in body["bids"]] == ["A7K2", "B9Q4", "A7K2"]
    text = resp.content.decode()
    winner = Registration.objects.get(pk=sold_round.leader_id).bidder
    for secret in (winner.id_number, winner.phone, "李娜", winner.username):
        assert secret not in text


def test_no_names_or_bids_before_the_close(sold_round, api_client):
    rewind_status(sold_round, "open")  # the same round, seen before its close
    body = api_client.get(f"/api/v1/rounds/{sold_round.pk}/result/").json()
    assert body["buyer_name"] is None and body["winner_code"] is None and body["bids"] == [] and body["sold_price"] is None


def test_a_defaulted_round_names_nobody(sold_round, api_client):
    sold_round.status = "defaulted"
    sold_round.save()
    body = api_client.get(f"/api/v1/rounds/{sold_round.pk}/result/").json()
    assert body["buyer_name"] is None and body["sold_price"] is None
    assert len(body["bids"]) == 3  # the history stays public (A29)


def test_unknown_or_draft_round_is_404(api_client, enforcement_case):
    from tests.settlement.conftest import make_lot, make_round

    assert api_client.get("/api/v1/rounds/987654/result/").json()["error"]["code"] == "not_found"
    draft = make_round(make_lot(enforcement_case))
    assert api_client.get(f"/api/v1/rounds/{draft.pk}/result/").status_code == 404


def test_public_result_page_shows_bid_history_by_codes_and_a_price_chart(sold_round, client):
    resp = client.get(f"/rounds/{sold_round.pk}/result/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "A7K2" in html and "B9Q4" in html and "张伟" in html
    assert "李娜" not in html and Registration.objects.get(pk=sold_round.leader_id).bidder.id_number not in html
    assert "3,319,250.00" in html and "叁佰叁拾壹万玖仟贰佰伍拾元整" in html
    assert 'id="chart-bids"' in html and "chart.umd.min.js" in html
    assert Bid.objects.filter(round=sold_round).count() == 3


def test_lot_page_slot_links_the_documents_with_signed_urls(paid_round, settings):
    clockwork.tick(None)
    html = Template("{% include 'settlement/_round_documents.html' %}").render(Context({"round": paid_round}))
    assert "网络竞价成交确认书" in html and "拍卖成交裁定书" in html
    assert f"/rounds/{paid_round.pk}/result/" in html
    if settings.MEDIA_USES_S3:
        assert "Signature" in html


def test_slot_is_empty_for_a_round_still_announced(sold_round):
    rewind_status(sold_round, "announced")
    html = Template("{% include 'settlement/_round_documents.html' %}").render(Context({"round": sold_round}))
    assert html.strip().startswith("{#") is False and "settlement-docs" not in html


def test_judge_settlement_page_lists_documents_and_settles_through_the_form(paid_round, client, judge, other_judge):
    from escrow import ledger

    clockwork.tick(None)
    case = paid_round.lot.case
    case.amount_owed = paid_round.sold_price
    case.save()
    client.force_login(other_judge)
    assert client.get(f"/court/rounds/{paid_round.pk}/settlement/").status_code == 403
    client.force_login(judge)
    page = client.get(f"/court/rounds/{paid_round.pk}/settlement/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "网络竞价成交确认书" in html and "3,319,250.00" in html
    resp = client.post(f"/court/rounds/{paid_round.pk}/settlement/", {
        "rows": "2", "kind_0": "cost", "payee_0": "执行费", "amount_0": "1000.50",
        "kind_1": "creditor", "payee_1": "苏州银行股份有限公司", "amount_1": "3318249.50", "claim_1": "",
    })
    assert resp.status_code == 302
    paid_round.refresh_from_db()
    assert paid_round.status == "settled"
    assert ledger.balance(ledger.case_account(case)) == 0
    html = client.get(f"/court/rounds/{paid_round.pk}/settlement/").content.decode()
    assert "执行费" in html and "1,000.50" in html


def test_settlement_form_refuses_bad_input_without_an_error_page(paid_round, client, judge):
    client.force_login(judge)
    url = f"/court/rounds/{paid_round.pk}/settlement/"
    for data in ({"rows": "abc"}, {"rows": "999"}, {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "1.234"},
                 {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "-5"},
                 {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "一百"},
                 {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "Infinity"},
                 {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "NaN"},
                 {"rows": "1", "kind_0": "creditor", "payee_0": "苏州银行股份有限公司", "amount_0": "1e30"}):
        resp = client.post(url, data)
        assert resp.status_code == 302, data
    paid_round.refresh_from_db()
    assert paid_round.status == "paid"
