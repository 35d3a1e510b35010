"""Demo data of valuation, loaded by `manage.py load_demo` after lots and avm.

- Organisations: 3 network inquiry platforms (two answering in the portal, plus the built-in model), 1 directed-inquiry
  agency, 5 appraisal institutions.
- Valuer accounts (password demo-pass-2024): valuer_platform1, valuer_platform2, valuer_agency, valuer_appraiser1..5.
- Valuations: the reference prices the lots demo already shows, each backed by a concluded network inquiry (one with its
  fee awarded after the sale, B31); an open network inquiry (deadline counting down) and an open appraisal drawn by lottery,
  so the valuer inboxes are not empty.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.demo import PASSWORD
from accounts.models import User
from auction_site import audit, clock
from lots import services as lots_services
from lots.demo import report_pdf
from lots.media import ensure_bucket
from lots.models import EnforcementCase, Lot, Round
from valuation import rules, services
from valuation.models import Inquiry, Organisation, Quote, Valuation, Valuer

DEMO_NEGOTIATION_CASE = "(2024)苏05执123号"

ORGANISATIONS = [
    # (code, kind, name, provider, valuer username)
    ("NP-JIA", "inquiry_platform", "甲司法网络询价平台（演示）", "portal", "valuer_platform1"),
    ("NP-YI", "inquiry_platform", "乙司法网络询价平台（演示）", "portal", "valuer_platform2"),
    ("NP-AVM", "inquiry_platform", "平台内置自动估价模型", "builtin_avm", None),
    ("AG-SZTAX", "agency", "苏州市房地产计税价格评估中心（演示）", "portal", "valuer_agency"),
    ("AI-01", "appraisal_institution", "江苏华信资产评估有限公司（演示）", "portal", "valuer_appraiser1"),
    ("AI-02", "appraisal_institution", "苏州天平房地产土地评估有限公司（演示）", "portal", "valuer_appraiser2"),
    ("AI-03", "appraisal_institution", "浙江中衡资产评估事务所（演示）", "portal", "valuer_appraiser3"),
    ("AI-04", "appraisal_institution", "杭州信达不动产估价有限公司（演示）", "portal", "valuer_appraiser4"),
    ("AI-05", "appraisal_institution", "上海东洲机动车及设备评估有限公司（演示）", "portal", "valuer_appraiser5"),
]


def _concluded_network(lot: Lot, judge, orgs: dict[str, Organisation], prices: dict[str, int], say) -> Valuation:
    """A network inquiry concluded when the lot's reference price was fixed, with the results that average to it (B13)."""
    fixed = lot.reference_price_fixed_at or clock.now() - timedelta(days=60)
    started = fixed - timedelta(days=2)
    v = Valuation.objects.create(lot=lot, method="network", status="concluded", started_by=judge, started_at=started,
                                 reference_price=rules.average_half_up(list(prices.values())), fixed_at=fixed, ended_at=fixed,
                                 delivered_at=fixed, valid_until=lot.reference_price_valid_until)
    for position, (code, org) in enumerate(sorted(orgs.items()), start=1):
        inquiry = Inquiry.objects.create(valuation=v, organisation=org, position=position, sent_at=started,
                                         deadline=started + rules.NETWORK_DEADLINE, token=f"demo-{lot.pk}-{code}",
                                         status="answered" if code in prices else "abstained")
        if code not in prices:
            continue
        price = prices[code]
        pdf = report_pdf(f"网络询价报告 · {org.name}", [f"标的：{lot.title}", f"询价结果：{price // 100:,}.{price % 100:02d} 元",
                                                     "依据：同区域近期成交及挂牌案例", f"有效期至：{lot.reference_price_valid_until:%Y-%m-%d}"])
        key = default_storage.save(f"{services.REPORT_PREFIX}/inquiry-{inquiry.pk}/demo-report.pdf", ContentFile(pdf))
        Quote.objects.create(inquiry=inquiry, price=price, valid_until=lot.reference_price_valid_until, report_key=key, report_size=len(pdf),
                             submitted_at=started + timedelta(days=1, hours=position), source="portal")
    assert v.reference_price == lot.reference_price, "demo results must average to the lot's reference price"
    audit.record("valuation.concluded", v, chain=v, actor=judge, data={"reference_price": v.reference_price, "demo": True})
    say(f"    {lot.title[:20]}…: network inquiry concluded at {v.reference_price} fen")
    return v


def load(stdout=None) -> None:
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    ensure_bucket()
    now = clock.now()
    orgs: dict[str, Organisation] = {}
    password = make_password(PASSWORD)
    for code, kind, name, provider, username in ORGANISATIONS:
        org = Organisation.objects.create(code=code, kind=kind, name=name, provider=provider, active=True)
        orgs[code] = org
        if username:
            user = User.objects.create(username=username, role="valuer", real_name=name, password=password, email=f"{username}@example.com")
            Valuer.objects.create(user=user, organisation=org, joined_at=now)
    say(f"  valuation: {len(orgs)} organisations, valuer accounts valuer_platform1/2, valuer_agency, valuer_appraiser1..5 (password {PASSWORD})")

    lots = {lot.title: lot for lot in Lot.objects.select_related("case__court")}
    judges = {u.court_id: u for u in User.objects.filter(role="judge").order_by("id")}
    platforms = {c: orgs[c] for c in ("NP-JIA", "NP-YI", "NP-AVM")}

    def find(fragment: str) -> Lot | None:
        return next((lot for title, lot in lots.items() if fragment in title), None)

    # Concluded network inquiries behind reference prices the lots demo shows (the model abstained on these lots then).
    for fragment, delta in (("星湖花园", 2_750_000), ("悦湖别墅", 15_000_000), ("华星花园", 3_500_000)):
        lot = find(fragment)
        if lot is None or not lot.reference_price:
            continue
        ref = lot.reference_price
        v = _concluded_network(lot, judges.get(lot.case.court_id), platforms, {"NP-JIA": ref - delta, "NP-YI": ref + delta}, say)
        sold = lot.rounds.filter(status__in=[Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED], sold_price__isnull=False).first()
        if sold is not None:
            award = services.award_network_fee(sold)
            if award:
                say(f"    fee for {lot.title[:12]}… awarded to {award.organisation.name} (B31)")
        assert v.pk

    # An open network inquiry (deadline counting down) on a lot whose round is still a draft.
    lot = find("临沪大道")
    if lot is not None:
        v = services.start_valuation(judges[lot.case.court_id], lot=lot, method="network")
        say(f"    {lot.title[:20]}…: network inquiry open until {v.started_at + rules.NETWORK_DEADLINE:%Y-%m-%d %H:%M} UTC")
    # Issue 17.4: the demo parties (party_applicant, party_debtor, linked by the judge to (2024)苏05执123号) negotiate the
    # price of a lot of their case seized 12 days ago (B1 counting down): the applicant has made the first offer, the
    # debtor has to answer (accept or counter) before the judge's deadline (B4).
    case = EnforcementCase.objects.filter(case_number=DEMO_NEGOTIATION_CASE).first()
    applicant = User.objects.filter(username="party_applicant", case_parties__case=case).first()
    if case is not None and applicant is not None:
        judge = judges[case.court_id]
        lot = lots_services.create_lot(judge, case=case, title="张建国名下小型普通客车（苏E·7K2M8，2019年）", category="vehicle",
                                       description="大众帕萨特 2.0T，行驶里程约8.6万公里，车况良好。", location="苏州市工业园区星湖街328号地下车库",
                                       city="苏州", seized_at=now - timedelta(days=12))
        v = services.start_valuation(judge, lot=lot, method="negotiated", deadline=now + timedelta(days=7))
        services.submit_offer(applicant, valuation=v, price=98_000_00)
        say(f"    {lot.title[:20]}…: negotiation (B4) open, party_applicant offered ¥98,000.00; party_debtor to answer by "
            f"{v.deadline:%Y-%m-%d %H:%M} UTC")
    # On a lot whose first round failed: a network inquiry that every platform missed (B11), then an appraisal by lottery.
    lot = find("挖掘机")
    if lot is not None:
        judge = judges[lot.case.court_id]
        started = now - timedelta(days=4)
        missed = Valuation.objects.create(lot=lot, method="network", status="failed", started_by=judge, started_at=started,
                                          ended_at=started + rules.NETWORK_DEADLINE,
                                          failure_reason="[B11] 全部平台均未在期限内出具结果 / every platform missed the deadline")
        for position, (code, org) in enumerate(sorted(platforms.items()), start=1):
            Inquiry.objects.create(valuation=missed, organisation=org, position=position, sent_at=started, token=f"demo-missed-{code}",
                                   deadline=started + rules.NETWORK_DEADLINE, status="abstained" if org.provider == "builtin_avm" else "missed")
        audit.record("valuation.failed", missed, chain=missed, actor=judge, data={"reason": missed.failure_reason, "demo": True})
        v = services.start_valuation(judge, lot=lot, method="appraisal")
        Valuation.objects.filter(pk=v.pk).update(previous=missed)
        say(f"    {lot.title[:20]}…: appraisal lottery published (B16, commit-reveal), drawn at {v.lottery.draw_at:%Y-%m-%d %H:%M} UTC "
            f"from {', '.join(v.lottery.candidates)}")
