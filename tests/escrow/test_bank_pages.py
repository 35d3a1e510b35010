"""Pages of the bank path: the bidder's transfer details (copy buttons, figures and capitals, deadline,
the sandbox bank's button that books a real camt.053), the winner's balance page, and /operator/bank/
(operators only; upload, suspense decisions, pain.001 download)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from escrow.bank import services
from escrow.bank.models import BankEntry, BankInstruction, BankStatement
from escrow.models import Registration
from tests.escrow.bank_helpers import credit, statement

DEPOSIT = 2_357_502_00


@pytest.fixture
def operator(db):
    from tests.conftest import make_user

    return make_user("op_bank", "operator")


@pytest.fixture
def shop_round(round_factory):
    return round_factory("open", deposit=DEPOSIT, starting_price=11_787_511_00, increment=58_000_00)


def test_register_page_shows_transfer_details_and_sandbox_books_a_camt053(client, bidder, shop_round):
    client.force_login(bidder)
    # 报名 on the page: the notice accepted and the commitment signed in the bidder's own name
    r = client.post(f"/escrow/rounds/{shop_round.pk}/register/", {"accept_notice": "on", "signed_name": bidder.real_name})
    assert r.status_code == 302
    reg = Registration.objects.get(round=shop_round, bidder=bidder)
    page = client.get(r["Location"]).content.decode()
    pr = services.reference_for(reg)
    assert pr.reference in page and "贰佰叁拾伍万柒仟伍佰零贰元整" in page and "2,357,502.00" in page
    assert 'class="btn small copy"' in page and "escrow/bank.js" in page
    assert "999,999.99" in page  # why this round takes a transfer
    r = client.post(f"/escrow/bank/sandbox/transfer/{pr.reference}/")
    assert r.status_code == 302
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code
    stmt = BankStatement.objects.get()
    assert stmt.format == "camt.053" and stmt.source == "sandbox" and b"camt.053.001.02" in bytes(stmt.content)
    assert reg.code in client.get(f"/escrow/sandbox/pay/{reg.pk}/").content.decode()


def test_lot_register_box_names_the_bank_path(client, bidder, shop_round):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    req = RequestFactory().get("/")
    req.user = bidder
    html = render_to_string("escrow/_round_register.html", {"round": shop_round, "request": req, "user": bidder})
    assert "银行转账" in html and "999,999.99" in html


def test_operator_page(client, operator, bidder, shop_round):
    reg, info = services.register(bidder, round_id=shop_round.pk)
    client.force_login(bidder)
    assert client.get("/operator/bank/").status_code == 404  # operators only
    client.force_login(operator)
    content = statement(services.reference_for(reg).account, [credit("没有参考号", 100_00, payer="6222333344445555"),
                                                              credit(info["reference"], DEPOSIT + 1_00)])
    r = client.post("/operator/bank/", {"statement": SimpleUploadedFile("s.xml", content)})
    assert r.status_code == 302
    page = client.get("/operator/bank/").content.decode()
    assert "待查明来款" in page and "6222333344445555" in page and "in_suspense" in page
    entry = BankEntry.objects.get(suspense__gt=0)
    client.post("/operator/bank/", {"entry": entry.pk, "action": "return"})
    assert BankInstruction.objects.filter(source_entry=entry).exists()
    ins = BankInstruction.objects.first()
    r = client.get(f"/operator/bank/instructions/{ins.pk}/pain001.xml")
    assert r.status_code == 200 and b"pain.001.001.03" in r.content
    # Bad upload: a clear message, nothing booked.
    before = BankEntry.objects.count()
    client.post("/operator/bank/", {"statement": SimpleUploadedFile("s.xml", content[:200])})
    assert BankEntry.objects.count() == before
