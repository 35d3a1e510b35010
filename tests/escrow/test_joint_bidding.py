"""Joint bidding (联合竞买) and agent bidding (委托竞买): shares summing to 100, every co-bidder an adult with
a real-name bidder account, a real PDF power of attorney, the court's confirmation before bidding opens by
the judge of the round's court, one deposit and one bidder code for the group, no bid until confirmed."""

import base64
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from accounts.rules import resident_id_check_char, uscc_check_char
from auction_site import clock
from auction_site.errors import DomainError, ErrorCode
from bidding.services import place_bid
from escrow import commitments, groups, rules, services
from escrow.bank import services as bank_services
from escrow.models import BiddingGroup, Deposit, Registration
from lots.models import Round
from notifications.models import Notification
from tests.settlement.conftest import s3_bucket  # noqa: F401 (autouse: the power of attorney goes to object storage)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.PAYMENT_PROVIDER = "sandbox"


def real_pdf() -> bytes:
    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def minor_id() -> str:
    born = f"{clock.now().year - 12}0601"
    first17 = "320502" + born + "001"
    return first17 + resident_id_check_char(first17)


def joint(user, *co, share="50") -> commitments.Declaration:
    return commitments.Declaration(accept_notice=True, signed_name=user.real_name, group=groups.GroupDeclaration(
        kind="joint", share=share, co_bidders=[groups.CoBidder(name=u.real_name, id_number=u.id_number, share=s) for u, s in co]))


def agent(user, poa: bytes | None, principal=("赵委托", "510104198001010014")) -> commitments.Declaration:
    return commitments.Declaration(accept_notice=True, signed_name=user.real_name, group=groups.GroupDeclaration(
        kind="agent", principal_name=principal[0], principal_id_number=principal[1], power_of_attorney=poa))


def refused(code: ErrorCode, user, rnd, decl) -> DomainError:
    with pytest.raises(DomainError) as e:
        bank_services.register(user, round_id=rnd.pk, declaration=decl)
    assert e.value.code == code, e.value.message
    assert not Registration.objects.filter(round=rnd).exists()
    return e.value


def open_round(rnd) -> None:
    """What the clock does at the start: the round opens."""
    Round.objects.filter(pk=rnd.pk).update(status="open", starts_at=clock.now() - timedelta(minutes=1))


def test_rules():
    # the shares: at least two buyers, each above 0 with at most two decimals, together exactly 100
    assert rules.shares_violation([Decimal(60), Decimal(40)]) is None
    assert rules.shares_violation([Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]) is None
    assert rules.shares_violation([Decimal(60), Decimal(30)]).code == ErrorCode.SHARES_INVALID
    assert rules.shares_violation([Decimal(100)]).code == ErrorCode.SHARES_INVALID
    assert rules.shares_violation([Decimal(110), Decimal(-10)]).code == ErrorCode.SHARES_INVALID
    assert rules.shares_violation([Decimal("33.333"), Decimal("66.667")]).code == ErrorCode.SHARES_INVALID
    assert rules.format_share(Decimal("50.00")) == "50%" and rules.format_share(Decimal("33.30")) == "33.3%"
    # a group's code only once the court confirmed it; a single bidder's at once
    assert rules.code_may_issue(None) and rules.code_may_issue("confirmed")
    assert not rules.code_may_issue("pending") and not rules.code_may_issue("rejected")
    now = clock.now()
    assert rules.group_window_violation("announced", now + timedelta(hours=1), now) is None
    assert rules.group_window_violation("announced", now, now).code == ErrorCode.GROUP_TOO_LATE
    assert rules.group_window_violation("open", now + timedelta(hours=1), now).code == ErrorCode.GROUP_TOO_LATE
    # the power of attorney: a PDF pypdf can read, not just its first bytes
    assert rules.poa_violation(real_pdf()) is None
    assert rules.poa_violation(b"%PDF-1.7\nnot really a pdf at all").code == ErrorCode.POA_NOT_PDF
    assert rules.poa_violation(b"\x89PNG\r\n\x1a\n...").code == ErrorCode.POA_NOT_PDF
    assert rules.poa_violation(None).code == ErrorCode.POA_NOT_PDF
    # the sale documents name every joint buyer with a share, the principal of an agent
    buyers = rules.named_buyers("joint", bidder_name="甲", bidder_id="1", members=[("甲", "1", Decimal(70)), ("乙", "2", Decimal(30))])
    assert [(b.name, b.share) for b in buyers] == [("甲", Decimal(70)), ("乙", Decimal(30))]
    (principal,) = rules.named_buyers("agent", bidder_name="代理人", bidder_id="1", principal=("委托人", "9"))
    assert principal.name == "委托人" and principal.agent == "代理人"


def test_shares_must_sum_to_100_and_every_co_bidder_is_an_adult_bidder(bidder_factory, announced_round):
    lead, co = bidder_factory(), bidder_factory()
    refused(ErrorCode.SHARES_INVALID, lead, announced_round, joint(lead, (co, "40"), share="50"))
    refused(ErrorCode.SHARES_INVALID, lead, announced_round, joint(lead, share="100"))
    kid = bidder_factory(real_name="小明", id_number=minor_id())
    refused(ErrorCode.NOT_ADULT, lead, announced_round, joint(lead, (kid, "50")))
    stranger = groups.CoBidder(name="不存在的人", id_number="120101196610100014", share="50")
    decl = joint(lead)
    decl.group.co_bidders = [stranger]
    refused(ErrorCode.CO_BIDDER_INVALID, lead, announced_round, decl)
    refused(ErrorCode.CO_BIDDER_INVALID, lead, announced_round, joint(lead, (lead, "50")))  # oneself is no co-bidder
    # a company co-bidder acts through an adult legal representative
    body = "91320500MA1XXXXX0"
    company = bidder_factory(real_name="苏州某某贸易有限公司", id_kind="uscc", id_number=body + uscc_check_char(body))
    decl = joint(lead, (company, "50"))
    refused(ErrorCode.INVALID_REPRESENTATIVE, lead, announced_round, decl)
    decl.group.co_bidders[0].legal_representative, decl.group.co_bidders[0].legal_representative_id = "小明", minor_id()
    refused(ErrorCode.NOT_ADULT, lead, announced_round, decl)
    decl.group.co_bidders[0].legal_representative_id = "440305199912310011"
    reg, _ = bank_services.register(lead, round_id=announced_round.pk, declaration=decl)
    assert reg.group.members.get(user=company).legal_representative == "小明"


def test_unconfirmed_group_cannot_bid_the_confirmed_one_can_with_one_code(bidder_factory, announced_round, judge, other_judge, client):
    lead, co = bidder_factory(), bidder_factory()
    reg, _payment = bank_services.register(lead, round_id=announced_round.pk, declaration=joint(lead, (co, "40"), share="60"))
    group = BiddingGroup.objects.get(registration=reg)
    assert group.kind == "joint" and group.status == "pending"
    assert [(m.name, m.share) for m in group.members.all()] == [(lead.real_name, Decimal(60)), (co.real_name, Decimal(40))]
    assert "联合竞买" in reg.commitment.text and "份额60%" in reg.commitment.text
    invited = Notification.objects.get(user=co, kind="group_invited")  # the co-bidder hears of it, with their share
    assert "40%" in invited.body and lead.real_name in invited.body
    # the group pays one deposit; held, but no bidder code until the court confirms
    services.sandbox_pay(lead, registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code is None and Deposit.objects.filter(registration__round=announced_round).count() == 1
    # a co-bidder cannot also register on their own
    with pytest.raises(DomainError) as e:
        bank_services.register(co, round_id=announced_round.pk, declaration=joint(co, (lead, "50")))
    assert e.value.code == ErrorCode.CO_BIDDER_INVALID

    # a second group the court will not have confirmed in time
    lead2, co2 = bidder_factory(), bidder_factory()
    late, _ = bank_services.register(lead2, round_id=announced_round.pk, declaration=joint(lead2, (co2, "50")))
    services.sandbox_pay(lead2, registration_id=late.pk)

    # a judge of another court cannot confirm
    with pytest.raises(DomainError) as e:
        services.confirm_group(other_judge, registration_id=reg.pk)
    assert e.value.code == ErrorCode.OTHER_COURT and e.value.status == 403
    # every co-bidder agrees in their own account first; then, before bidding opens, one code for the group
    with pytest.raises(DomainError) as e:
        services.confirm_group(judge, registration_id=reg.pk)
    assert e.value.code == ErrorCode.CO_BIDDER_NOT_ACCEPTED and co.real_name in e.value.message
    with pytest.raises(DomainError) as e:
        services.accept_joint_bid(lead2, registration_id=reg.pk)  # only a co-bidder it names
    assert e.value.code == ErrorCode.NOT_FOUND
    services.accept_joint_bid(co, registration_id=reg.pk)
    services.confirm_group(judge, registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.code and reg.group.status == "confirmed" and reg.group.decided_by == judge
    assert set(Notification.objects.filter(kind="group_confirmed").values_list("user", flat=True)) == {lead.pk, co.pk}

    open_round(announced_round)
    # unconfirmed when bidding opens: refused with a clear reason, and the court can no longer confirm
    result = place_bid(lead2, round_id=announced_round.pk, amount=announced_round.starting_price)
    assert not result.accepted and result.code == ErrorCode.NOT_REGISTERED and result.reason == ErrorCode.GROUP_NOT_CONFIRMED
    assert "法院确认" in result.message
    client.force_login(lead2)
    assert "须经法院确认后发放竞买代码" in client.get(f"/rounds/{announced_round.pk}/live/").content.decode()
    with pytest.raises(DomainError) as e:
        services.confirm_group(judge, registration_id=late.pk)
    assert e.value.code == ErrorCode.GROUP_TOO_LATE
    # the confirmed group bids under its one code
    result = place_bid(lead, round_id=announced_round.pk, amount=announced_round.starting_price)
    assert result.accepted and result.bidder_code == reg.code
    assert Registration.objects.filter(round=announced_round).exclude(code=None).count() == 1


def test_agent_bidding_needs_a_real_pdf_power_of_attorney(bidder_factory, announced_round, judge, client):
    agent_user = bidder_factory()
    refused(ErrorCode.POA_NOT_PDF, agent_user, announced_round, agent(agent_user, b"MZ\x90\x00 not a pdf"))
    refused(ErrorCode.POA_NOT_PDF, agent_user, announced_round, agent(agent_user, b"%PDF-1.4 but broken inside"))
    refused(ErrorCode.PRINCIPAL_INVALID, agent_user, announced_round, agent(agent_user, real_pdf(), ("某人", "123")))
    refused(ErrorCode.NOT_ADULT, agent_user, announced_round, agent(agent_user, real_pdf(), ("小明", minor_id())))
    pdf = real_pdf()
    reg, _ = bank_services.register(agent_user, round_id=announced_round.pk, declaration=agent(agent_user, pdf))
    group = reg.group
    assert group.kind == "agent" and group.principal_name == "赵委托" and "受委托人赵委托" in reg.commitment.text
    with storages["default"].open(group.poa_key, "rb") as fh:
        assert fh.read() == pdf
    # confirmed before the deposit is paid: the code comes with the deposit
    services.confirm_group(judge, registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.code is None
    services.sandbox_pay(agent_user, registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.status == "held" and reg.code


def test_the_court_page_lists_pending_groups_with_the_power_of_attorney(bidder_factory, announced_round, judge, other_judge, client):
    agent_user = bidder_factory()
    reg, _ = bank_services.register(agent_user, round_id=announced_round.pk, declaration=agent(agent_user, real_pdf()))
    client.force_login(judge)
    html = client.get("/court/groups/").content.decode()
    poa_url = f"/court/groups/{reg.pk}/power-of-attorney/"
    assert "赵委托" in html and poa_url in html and "待法院确认" in html
    desk = client.get("/court/").content.decode()  # the judge's desk lists it, due when bidding opens
    assert "审查确认联合竞买/委托竞买 1 件" in desk and 'href="/court/groups/"' in desk
    r = client.get(poa_url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and b"".join(r.streaming_content).startswith(b"%PDF")
    client.post(f"/court/groups/{reg.pk}/decide/", {"decision": "reject", "reason": ""})
    assert BiddingGroup.objects.get(pk=reg.group.pk).status == "pending"  # a refusal needs its reason
    client.post(f"/court/groups/{reg.pk}/decide/", {"decision": "confirm"})
    assert BiddingGroup.objects.get(pk=reg.group.pk).status == "confirmed"
    client.force_login(other_judge)  # another court sees neither the group nor its power of attorney
    assert "赵委托" not in client.get("/court/groups/").content.decode()
    assert client.get(poa_url).status_code == 404


def test_the_registration_page_takes_a_joint_bid(bidder_factory, announced_round, client):
    lead, co, other = bidder_factory(), bidder_factory(), bidder_factory()
    client.force_login(lead)
    html = client.get(f"/escrow/rounds/{announced_round.pk}/register/").content.decode()
    assert "联合竞买 / 委托竞买" in html and 'name="co_share_1"' in html and 'name="power_of_attorney"' in html
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {
        "accept_notice": "on", "signed_name": lead.real_name, "group_mode": "joint", "share": "70",
        "co_name_1": co.real_name, "co_id_1": co.id_number, "co_share_1": "30"})
    reg = Registration.objects.get(round=announced_round, bidder=lead)
    assert r.status_code == 302 and reg.group.members.count() == 2
    # the co-bidder sees the invitation on the round's page and agrees there
    client.force_login(co)
    html = client.get(f"/escrow/rounds/{announced_round.pk}/register/").content.decode()
    assert "联合竞买邀请" in html and "份额 30%" in html and 'id="register-form"' not in html
    client.post(f"/escrow/groups/{reg.pk}/accept/")
    assert reg.group.members.get(user=co).accepted_at is not None
    client.force_login(other)
    r = client.post(f"/escrow/rounds/{announced_round.pk}/register/", {
        "accept_notice": "on", "signed_name": other.real_name, "group_mode": "agent", "principal_name": "赵委托",
        "principal_id_number": "510104198001010014", "power_of_attorney": SimpleUploadedFile("poa.pdf", b"GIF89a")}, follow=True)
    assert "授权委托书" in r.content.decode() and not Registration.objects.filter(bidder=other).exists()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})  # one language at a time: English from the .po
    html = client.get(f"/escrow/rounds/{announced_round.pk}/register/").content.decode()
    assert "Joint bidding / agent bidding" in html and "联合竞买 / 委托竞买" not in html and "Power of attorney (PDF)" in html


def test_api_registers_a_joint_bid_and_the_bare_call_still_works(bidder_factory, announced_round, as_user, judge):
    lead, co, single = bidder_factory(), bidder_factory(), bidder_factory()
    api = as_user(lead)
    body = {"accept_notice": True, "signed_name": lead.real_name, "mode": "joint", "share": "33.33",
            "co_bidders": [{"name": co.real_name, "id_number": co.id_number, "share": "66.66"}]}
    r = api.post(f"/api/v1/rounds/{announced_round.pk}/register/", body, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "shares_invalid"
    body["co_bidders"][0]["share"] = "66.67"
    r = api.post(f"/api/v1/rounds/{announced_round.pk}/register/", body, format="json")
    assert r.status_code == 201, r.content
    group = r.json()["registration"]["group"]
    assert group["kind"] == "joint" and group["status"] == "pending"
    assert [(m["name"], m["share"]) for m in group["members"]] == [(lead.real_name, "33.33"), (co.real_name, "66.67")]
    reg_id = r.json()["registration"]["id"]
    r = as_user(judge).post(f"/api/v1/registrations/{reg_id}/group/confirm/", format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "co_bidder_not_accepted"
    r = as_user(co).post(f"/api/v1/registrations/{reg_id}/group/accept/", format="json")
    assert r.status_code == 200 and all(m["accepted"] for m in r.json()["members"])
    r = as_user(judge).post(f"/api/v1/registrations/{reg_id}/group/confirm/", format="json")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    # agent bidding by the API: the power of attorney in base64
    r = as_user(single).post(f"/api/v1/rounds/{announced_round.pk}/register/", {
        "accept_notice": True, "signed_name": single.real_name, "mode": "agent", "principal_name": "赵委托",
        "principal_id_number": "510104198001010014", "power_of_attorney": base64.b64encode(b"not a pdf").decode()}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "poa_not_pdf"
    # the contract's bare call is unchanged: a single registration with no group
    r = as_user(single).post(f"/api/v1/rounds/{announced_round.pk}/register/", format="json")
    assert r.status_code == 201 and r.json()["registration"]["group"] is None


def test_a_refused_group_never_bids_and_its_deposit_goes_back_at_once(bidder_factory, announced_round, judge,
                                                                      django_capture_on_commit_callbacks):
    agent_user = bidder_factory()
    reg, _ = bank_services.register(agent_user, round_id=announced_round.pk, declaration=agent(agent_user, real_pdf()))
    services.sandbox_pay(agent_user, registration_id=reg.pk)
    with pytest.raises(DomainError) as e:
        services.reject_group(judge, registration_id=reg.pk, reason=" ")
    assert e.value.code == ErrorCode.REASON_REQUIRED
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_group(judge, registration_id=reg.pk, reason="授权委托书未载明代理权限")
    reg.refresh_from_db()
    assert reg.group.status == "rejected" and reg.group.reason == "授权委托书未载明代理权限"
    assert reg.status == "released" and reg.code is None
    assert "授权委托书未载明代理权限" in Notification.objects.get(user=agent_user, kind="group_refused").body
    with pytest.raises(DomainError) as e:
        services.confirm_group(judge, registration_id=reg.pk)
    assert e.value.code == ErrorCode.ALREADY_DECIDED
