"""Demo data of valuation, loaded by `manage.py load_demo` after lots and avm.

- Organisations: 3 network inquiry platforms (two answering in the portal, plus the built-in model), 1 directed-inquiry
  agency, 5 appraisal institutions.
- Valuer accounts (password demo-pass-2024): valuer_platform1, valuer_platform2, valuer_agency, valuer_appraiser1..5.
- Valuations: every reference price the lots demo shows rests on a concluded valuation by the method its announcement
  names (negotiated, network, appraisal), written onto the lot through the owner (services.reference), one network fee
  awarded after the sale (B31); the land: directed inquiry missed (B5) → network inquiry open, no price yet; the
  excavator: network inquiry missed by every platform (B11) → appraisal by lottery open. So no page contradicts another.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.demo import PASSWORD
from accounts.models import User
from auction_site import audit, clock
from lots import media as lot_media
from lots import services as lots_services
from lots.demo import report_pdf
from lots.media import ensure_bucket
from lots.models import CaseParty, EnforcementCase, Lot, Round
from lots.services import clear_reference_price
from valuation import rules, services
from valuation.models import Inquiry, Organisation, Quote, Valuation, Valuer
from valuation.services import reference

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


METHOD_OF_SOURCE = {"当事人议价": "negotiated", "定向询价": "directed", "网络询价": "network", "委托评估": "appraisal"}
# Which demo institution wrote the appraisal the lots demo names (by the lot's city): 苏州 → AI-01/02, 杭州 → AI-03/04.
INSTITUTION_BY_CITY = {"苏州": "AI-02", "昆山": "AI-02", "张家港": "AI-01", "杭州": "AI-03"}


def _report(org: Organisation, inquiry: Inquiry, lot: Lot, price: int, valid_until) -> tuple[str, int]:
    pdf = report_pdf(f"询价/评估报告 · {org.name}", [f"标的：{lot.title}", f"结果：{price // 100:,}.{price % 100:02d} 元",
                                                 "依据：同区域近期成交及挂牌案例、现场勘验", f"有效期至：{valid_until:%Y-%m-%d}"])
    key = default_storage.save(f"{services.REPORT_PREFIX}/inquiry-{inquiry.pk}/demo-report.pdf", ContentFile(pdf))
    return key, len(pdf)


def _backing(lot: Lot, judge, orgs: dict[str, Organisation], parties: list[CaseParty], say) -> Valuation:
    """The concluded valuation behind a reference price the lots demo shows, by the method its source names, with the
    results that give exactly that price (B4, B13), written onto the lot through the owner (services.reference)."""
    ref, fixed, valid = lot.reference_price, lot.reference_price_fixed_at, lot.reference_price_valid_until
    method = METHOD_OF_SOURCE.get(lot.reference_price_source.split("：")[0].strip(), "network")
    users = {p.side: p for p in parties if p.user_id}
    if method == "negotiated" and set(users) != {"applicant", "respondent"}:
        method = "network"  # B4 needs both parties on the platform
    started = fixed - timedelta(days=2)
    if method == "negotiated":
        # B4 through the service (the parties' offers, however the negotiation is run), then dated back to the story
        v = Valuation.objects.create(lot=lot, method=method, started_by=judge, started_at=started, deadline=clock.now() + timedelta(days=1))
        for side in ("applicant", "respondent"):
            services.submit_offer(users[side].user, valuation=v, price=ref)
        v.refresh_from_db()
        assert v.status == "concluded" and v.reference_price == ref
        v.offers.update(submitted_at=started + timedelta(days=1))
        Valuation.objects.filter(pk=v.pk).update(deadline=started + timedelta(days=7), fixed_at=fixed, ended_at=fixed, delivered_at=fixed,
                                                 valid_until=valid)
        v.refresh_from_db()
        reference.apply_reference_price(v, actor=judge)
        say(f"    {lot.title[:20]}…: negotiated concluded at {ref} fen (估价#{v.pk})")
        return v
    v = Valuation.objects.create(lot=lot, method=method, status="concluded", started_by=judge, started_at=started, reference_price=ref,
                                 fixed_at=fixed, ended_at=fixed, delivered_at=fixed, valid_until=valid,
                                 institutions_agreed=method == "appraisal", price_basis="government" if method == "directed" else "")
    if method == "network":
        d = ref * 25 // 1000 // 10000 * 10000  # ±2.5%, in whole hundreds of yuan: the three average exactly to `ref`
        answers = {"NP-AVM": ref, "NP-JIA": ref - d, "NP-YI": ref + d}
    elif method == "directed":
        answers = {"AG-SZTAX": ref}
    else:
        answers = {INSTITUTION_BY_CITY.get(lot.city, "AI-04"): ref}
    n = len(answers) if method == "network" else None
    for position, (code, price) in enumerate(sorted(answers.items()), start=1):
        org = orgs[code]
        inquiry = Inquiry.objects.create(valuation=v, organisation=org, position=position, sent_at=started, status="answered",
                                         deadline=started + (rules.NETWORK_DEADLINE if method == "network" else rules.APPRAISAL_DEADLINE),
                                         token=f"demo-{lot.pk}-{code}")
        key, size = ("", 0) if org.provider == "builtin_avm" else _report(org, inquiry, lot, price, valid)
        Quote.objects.create(inquiry=inquiry, price=price, valid_until=valid, report_key=key, report_size=size,
                             submitted_at=started + timedelta(days=1, hours=position),
                             source="builtin_avm" if org.provider == "builtin_avm" else "portal")
    audit.record("valuation.concluded", v, chain=v, actor=judge, data={"reference_price": ref, "demo": True})
    reference.apply_reference_price(v, actor=judge, n=n)
    say(f"    {lot.title[:20]}…: {method} concluded at {ref} fen (估价#{v.pk})")
    return v


def _failed(lot: Lot, judge, method: str, orgs: list[Organisation], started, reason: str) -> Valuation:
    """A method that did not succeed because nobody answered in time (its inquiries stay on record as missed)."""
    deadline = started + rules.NETWORK_DEADLINE
    v = Valuation.objects.create(lot=lot, method=method, status="failed", started_by=judge, started_at=started, ended_at=deadline,
                                 deadline=deadline if method == "directed" else None, failure_reason=reason,
                                 price_basis="government" if method == "directed" else "")
    for position, org in enumerate(orgs, start=1):
        Inquiry.objects.create(valuation=v, organisation=org, position=position, sent_at=started, token=f"demo-failed-{v.pk}-{org.code}",
                               deadline=deadline, status="abstained" if org.provider == "builtin_avm" else "missed")
    audit.record("valuation.failed", v, chain=v, actor=judge, data={"reason": reason, "demo": True})
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

    judges = {u.court_id: u for u in User.objects.filter(role="judge").order_by("id")}
    platforms = [orgs[c] for c in ("NP-AVM", "NP-JIA", "NP-YI")]
    lots = list(Lot.objects.select_related("case__court").order_by("id"))

    def find(fragment: str) -> Lot | None:
        return next((lot for lot in lots if fragment in lot.title), None)

    # One story per lot. The land (临沪大道, a draft round): the directed inquiry at the agency went unanswered (B5),
    # so by B2 a network inquiry is open now (the platforms' inboxes count down) and the lot has no price yet.
    land = find("临沪大道")
    if land is not None:
        judge = judges[land.case.court_id]
        clear_reference_price(None, lot=land, source_suffix=land.reference_price_source, data={"demo": "valuation in progress"})
        for doc in land.media.filter(kind="document"):  # the lots demo's report summary names a price not fixed yet
            lot_media.delete(doc)
            doc.delete()
        directed = _failed(land, judge, "directed", [orgs["AG-SZTAX"]], now - timedelta(days=8),
                           "[B5] 定向询价期限届满，机构未出具结果 / the agency did not answer by the deadline")
        v = services.start_valuation(judge, lot=land, method="network")
        Valuation.objects.filter(pk=v.pk).update(previous=directed)
        say(f"    {land.title[:20]}…: directed inquiry missed (B5) → network inquiry open until "
            f"{v.started_at + rules.NETWORK_DEADLINE:%Y-%m-%d %H:%M} UTC")

    # Every other reference price rests on a concluded valuation by the method its announcement names.
    for lot in lots:
        lot.refresh_from_db()
        if lot.reference_price is None:
            continue
        v = _backing(lot, judges.get(lot.case.court_id), orgs, list(CaseParty.objects.filter(case_id=lot.case_id)), say)
        sold = lot.rounds.filter(status__in=[Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED], sold_price__isnull=False).first()
        if sold is not None and v.method == "network":
            award = services.award_network_fee(sold)
            if award:
                say(f"    fee for {lot.title[:12]}… awarded to {award.organisation.name} (B31)")

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
    # The excavator (round 1 failed at 70% of its price): the judge had it valued afresh; every platform missed the
    # network inquiry (B11), so an appraisal by lottery is open (B16), drawn by the clock a day later. Until it
    # concludes the price of the earlier network inquiry stands.
    lot = find("挖掘机")
    if lot is not None:
        judge = judges[lot.case.court_id]
        missed = _failed(lot, judge, "network", platforms, now - timedelta(days=4),
                         "[B11] 全部平台均未在期限内出具结果 / every platform missed the deadline")
        v = services.start_valuation(judge, lot=lot, method="appraisal")
        Valuation.objects.filter(pk=v.pk).update(previous=missed)
        say(f"    {lot.title[:20]}…: appraisal lottery published (B16, commit-reveal), drawn at {v.lottery.draw_at:%Y-%m-%d %H:%M} UTC "
            f"from {', '.join(v.lottery.candidates)}")
