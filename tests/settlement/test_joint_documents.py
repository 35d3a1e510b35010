"""Joint and agent bidding on the sale documents (A22): the confirmation (成交确认书) and the ruling name
every joint buyer with their share, or the principal of an agent; the public result names them too."""

import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from auction_site import clock
from escrow.models import BiddingGroup, GroupMember
from settlement import selectors, services
from tests.settlement.conftest import make_lot, make_round, pay_in_full, register, sell

pytestmark = pytest.mark.django_db


def pdf_text(round_id: int, kind: str) -> str:
    doc = services.generate_document(round_id, kind)
    with default_storage.open(doc.storage_key, "rb") as fh:
        data = fh.read()
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def group(reg, kind: str, **extra) -> BiddingGroup:
    return BiddingGroup.objects.create(registration=reg, kind=kind, status="confirmed", created_at=clock.now(),
                                       decided_at=clock.now(), **extra)


def test_the_confirmation_and_the_ruling_name_every_joint_buyer_with_their_share(enforcement_case, bidder_factory):
    lead, co, third = bidder_factory(real_name="张伟"), bidder_factory(real_name="李娜"), bidder_factory(real_name="王芳")
    rnd = make_round(make_lot(enforcement_case), status="closed")
    reg = register(rnd, lead, "J7K2")
    g = group(reg, "joint")
    for i, (u, share) in enumerate([(lead, "50"), (co, "33.33"), (third, "16.67")]):
        GroupMember.objects.create(group=g, position=i, user=u, name=u.real_name, id_number=u.id_number, share=Decimal(share))
    sell(rnd, reg, 331_925_000, bids=1)
    text = pdf_text(rnd.pk, "confirmation")
    assert "联合竞买" in text and "J7K2" in text
    for name, share in [("张伟", "50%"), ("李娜", "33.33%"), ("王芳", "16.67%")]:
        assert f"{name}（份额{share}）" in text
    assert selectors.round_result(rnd)["buyer_name"] == "张伟、李娜、王芳"
    pay_in_full(rnd)
    ruling = pdf_text(rnd.pk, "ruling")
    assert "张伟（份额50%）、李娜（份额33.33%）、王芳（份额16.67%）按上述份额共有" in ruling


def test_an_agent_s_principal_is_the_buyer(enforcement_case, bidder_factory):
    agent = bidder_factory(real_name="赵代理")
    rnd = make_round(make_lot(enforcement_case), status="closed")
    reg = register(rnd, agent, "P3Q9")
    group(reg, "agent", principal_name="钱委托", principal_id_number="510104198001010014", poa_key="x.pdf", poa_sha256="0" * 64)
    sell(rnd, reg, 331_925_000, bids=1)
    text = pdf_text(rnd.pk, "confirmation")
    assert "买受人：钱委托（委托竞买，委托代理人：赵代理）" in text
