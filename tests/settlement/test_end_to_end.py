"""End to end through the public API: case → negotiated reference price (B4) → round → deposits → bids →
close → balance → settlement → signed webhook received by the case system. Every fen accounted for."""

import io
import json
import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings as dj_settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf import PdfReader

from auction_site import clock, ticks
from auction_site.money import capital
from escrow import ledger
from escrow.models import LedgerAccount, LedgerEntry
from settlement import signing
from tests.conftest import ID_NUMBERS
from tests.settlement.receiver import Receiver

pytestmark = pytest.mark.django_db

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
REFERENCE = 4_727_500_00
START = 3_309_250_00  # 70% of the reference price (A10)
DEPOSIT = 500_000_00
INCREMENT = 5_000_00


def ok(resp, status=200):
    assert resp.status_code == status, resp.content.decode()[:500]
    return resp.json()


def new_bidder(api_client, as_user, n: int, real_name: str):
    from accounts.models import User

    ok(api_client.post("/api/v1/auth/register/", {"username": f"e2e_bidder{n}", "password": "pass-1234-word",
                                                   "real_name": real_name, "id_number": ID_NUMBERS[n], "phone": f"1390000{n:04d}"},
                       format="json"), 201)
    return as_user(User.objects.get(username=f"e2e_bidder{n}"))


def parties_of(case_id: int):
    """Platform accounts of the applicant and the debtor, linked to the case (how parties take part in B4)."""
    from accounts.models import User
    from lots.models import CaseParty

    applicant = User.objects.create_user("e2e_bank", password="pass-1234-word", role="party", real_name="苏州银行股份有限公司")
    debtor = User.objects.create_user("e2e_debtor", password="pass-1234-word", role="party", real_name="张三")
    for user, side in ((applicant, "applicant"), (debtor, "respondent")):
        party = CaseParty.objects.filter(case_id=case_id, side=side, name=user.real_name).first()
        if party:
            party.user = user
            party.save(update_fields=["user"])
        else:
            CaseParty.objects.create(case_id=case_id, side=side, name=user.real_name, user=user)
    return applicant, debtor


def add_photo(judge_api, lot_id: int) -> None:
    if not dj_settings.MEDIA_USES_S3:
        pytest.skip("the end-to-end run uses the S3-protocol server started by scripts/test.sh")
    body = ok(judge_api.post(f"/api/v1/lots/{lot_id}/media/", {"kind": "photo", "filename": "front.jpg", "content_type": "image/jpeg",
                                                               "size": len(JPEG), "title": "外观照片"}, format="json"), 201)
    upload = body["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("front.jpg", JPEG, "image/jpeg")}, timeout=10)
    assert sent.status_code in (200, 201, 204)
    ok(judge_api.post(f"/api/v1/media/{body['media']['id']}/complete/", format="json"))


def test_case_to_settlement_and_report_back(judge, as_user, api_client, settings):
    judge_api = as_user(judge)
    # 1. The case mirror, with its own account.
    case = ok(judge_api.post("/api/v1/cases/", {"case_number": "(2025)苏05执501号", "applicants": ["苏州银行股份有限公司"],
                                                 "respondents": ["张三"], "amount_owed": 3_000_000_00}, format="json"), 201)
    # 2. A lot, and its reference price fixed by negotiation (B4): both parties offer the same price.
    lot = ok(judge_api.post("/api/v1/lots/", {
        "case": case["id"], "title": "苏州市姑苏区平江路18号住宅", "category": "real_estate", "description": "三室两厅",
        "location": "苏州市姑苏区平江路18号", "city": "苏州", "defects_and_encumbrances": "无", "occupancy": "空置",
        "title_status": "产权清晰", "judgment_enforced": "(2024)苏05民初45号", "transfer_tax_payer": "each",
    }, format="json"), 201)
    applicant, debtor = parties_of(case["id"])
    valuation = ok(judge_api.post(f"/api/v1/lots/{lot['id']}/valuations/", {
        "method": "negotiated", "deadline": (clock.now() + timedelta(days=7)).isoformat()}, format="json"), 201)
    for party in (applicant, debtor):
        ok(as_user(party).post(f"/api/v1/valuations/{valuation['id']}/offers/", {"price": REFERENCE}, format="json"), 201)
    assert ok(judge_api.get(f"/api/v1/valuations/{valuation['id']}/"))["reference_price"] == REFERENCE
    add_photo(judge_api, lot["id"])
    # 3. A round announced 31 days ahead (A12), 24 hours of bidding (A20), after the parties' notice (A16).
    starts = clock.now() + timedelta(days=34)
    rnd = ok(judge_api.post(f"/api/v1/lots/{lot['id']}/rounds/", {
        "starting_price": START, "deposit": DEPOSIT, "increment": INCREMENT, "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=24)).isoformat(), "announcement": "本院将公开拍卖下列标的物……", "balance_due_days": 10,
    }, format="json"), 201)
    rid = rnd["id"]
    assert judge_api.post(f"/api/v1/rounds/{rid}/publish/", {}, format="json").json()["error"]["code"] == "parties_not_notified"
    notified = ok(judge_api.post(f"/api/v1/rounds/{rid}/notify-parties/", {}, format="json"))
    clock.advance(3 * 86400)  # A16: publication 3 days after the parties' notice
    published = ok(judge_api.post(f"/api/v1/rounds/{rid}/publish/", {}, format="json"))
    assert published["parties_notified_at"] == notified["parties_notified_at"]
    # 4. Two bidders pay their deposits (localstripe).
    wang = new_bidder(api_client, as_user, 1, "王建国")
    zhao = new_bidder(api_client, as_user, 2, "赵晓红")
    for client in (wang, zhao):
        reg = ok(client.post(f"/api/v1/rounds/{rid}/register/", format="json"), 201)["registration"]
        ok(client.post(f"/api/v1/registrations/{reg['id']}/pay/", {"card": CARD}, format="json"))
    # 5. Bidding opens; three bids.
    clock.advance(int((starts - clock.now()).total_seconds()) + 60)
    ticks.run_all()
    ok(wang.post(f"/api/v1/rounds/{rid}/bids/", {"amount": START}, format="json"), 201)
    ok(zhao.post(f"/api/v1/rounds/{rid}/bids/", {"amount": START + INCREMENT}, format="json"), 201)
    ok(wang.post(f"/api/v1/rounds/{rid}/bids/", {"amount": START + 2 * INCREMENT}, format="json"), 201)
    price = START + 2 * INCREMENT
    # 6. The clock closes the round: sold; the winner's deposit goes to the case, the other is released (A23).
    clock.advance(25 * 3600)
    ticks.run_all()
    ticks.run_all()
    result = ok(api_client.get(f"/api/v1/rounds/{rid}/result/"))
    assert result["status"] == "sold" and result["sold_price"] == price and result["buyer_name"] == "王建国"
    # 7. The balance (A25): ¥2,819,250 is over the card provider's limit, so it goes by bank transfer into
    # the case account; the sandbox bank books the transfer and sends its camt.053, matched by reference.
    bank = ok(wang.post(f"/api/v1/rounds/{rid}/pay-balance/", {}, format="json"))["payment"]
    assert bank["provider"] == "bank" and bank["amount"] == price - DEPOSIT
    ok(wang.post("/api/v1/testing/bank/transfer/", {"reference": bank["reference"], "amount": bank["amount"]}, format="json"))
    ticks.run_all()
    from lots.models import EnforcementCase, Round

    round_obj = Round.objects.get(pk=rid)
    case_obj = EnforcementCase.objects.get(pk=case["id"])
    assert round_obj.status == "paid"
    assert ledger.balance(ledger.case_account(case_obj)) == price
    # 8. Documents: the confirmation and the draft ruling, in object storage, with signed URLs for the judge.
    docs = ok(judge_api.get(f"/api/v1/rounds/{rid}/documents/"))["documents"]
    assert {d["kind"] for d in docs} == {"confirmation", "ruling"}
    from settlement.models import SaleDocument

    conf = SaleDocument.objects.get(round_id=rid, kind="confirmation")
    with default_storage.open(conf.storage_key, "rb") as fh:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages).replace("\n", "")
    assert "王建国" in text and capital(price) in text and "(2025)苏05执501号" in text
    # 9. Settlement: costs, the seller's tax, the creditor; the surplus back to the debtor.
    costs, tax = 12_345_67, 98_765_43
    creditor = 3_000_000_00
    settled = ok(judge_api.post(f"/api/v1/rounds/{rid}/settle/", {"payouts": [
        {"kind": "cost", "payee": "苏州市中级人民法院(执行费)", "amount": costs},
        {"kind": "tax", "payee": "国家税务总局苏州市税务局", "amount": tax, "borne_by": "seller"},
        {"kind": "creditor", "payee": "苏州银行股份有限公司", "amount": creditor, "claim": creditor},
    ]}, format="json"))
    assert settled["remainder_to_debtor"] == price - costs - tax - creditor > 0
    assert settled["round_status"] == "settled" and settled["case_status"] == "settled"
    # Settling again moves nothing.
    assert judge_api.post(f"/api/v1/rounds/{rid}/settle/", {"payouts": [{"kind": "cost", "payee": "x", "amount": 1}]},
                          format="json").status_code == 409
    # 10. The case system receives the signed outcome (first attempt refused, retried with backoff).
    with Receiver(statuses=[502]) as rx:
        settings.CASE_SYSTEM_WEBHOOK_URL = rx.url
        ticks.run_all()
        clock.advance(61)
        ticks.run_all()
    assert len(rx.requests) == 2
    last = rx.requests[-1]
    assert signing.verify(last["headers"]["X-Signature"], last["body"], dj_settings.CASE_SYSTEM_WEBHOOK_SECRET, int(time.time()))
    outcome = json.loads(last["body"])
    assert outcome["case_number"] == "(2025)苏05执501号" and outcome["status"] == "settled"
    [r] = outcome["rounds"]
    assert r["sold_price"] == price and r["closed_at"] and r["settled_at"]
    assert sum(p["amount"] for p in r["payouts"]) == price
    assert {p["kind"] for p in r["payouts"]} == {"cost", "tax", "creditor", "debtor"}
    # 11. Every fen accounted for: the case account is empty; what the provider holds is exactly what
    # the payees are owed (the loser's deposit went back); every ledger transaction balances.
    assert ledger.balance(ledger.case_account(case_obj)) == 0
    owed = -sum(LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.PAYEE, account__case=case_obj).values_list("amount", flat=True))
    assert owed == price
    # The deposit came through the card provider, the balance through the bank into the case account.
    from escrow.bank.accounts import bank_cash

    assert ledger.balance(ledger.provider_cash_account()) + ledger.balance(bank_cash(case_obj)) == price
    assert ledger.balance(bank_cash(case_obj)) == price - DEPOSIT
    deposits = LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.BIDDER_DEPOSIT, account__registration__round_id=rid)
    assert sum(deposits.values_list("amount", flat=True)) == 0
    from django.db.models import Sum

    from escrow.models import LedgerTransaction

    for txn in LedgerTransaction.objects.all():
        assert txn.entries.aggregate(s=Sum("amount"))["s"] == 0
    # The pull API agrees, and the audit chain is intact.
    pulled = ok(judge_api.get(f"/api/v1/cases/{case['id']}/outcome/"))
    assert pulled["status"] == "settled" and pulled["reports"][0]["delivered_at"]
    call_command("verify_audit")
