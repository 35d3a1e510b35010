"""The 竞买公告 and 竞买须知 generated from the lot and the round, from a template per court and category.

A court edits its own template for each category (lots.models.NoticeTemplate); without one the platform's
default below is used. A template is a Django template rendered by an engine of its own (no loaders, no
libraries to load, no autoescape: the output is plain text shown escaped) with a FIXED context of plain
strings and numbers, so a template can only place the particulars, never reach an object or a setting.
The announcement carries what A13–14 list; the notice the bidding rules (A17–A25).

- ``context_for(rnd) -> dict``       the placeholders and their values (CONTEXT_KEYS)
- ``render(text, context) -> str``   one template (DomainError(field="text") on a syntax error)
- ``template_text(court, category, kind) -> str``   the court's own, else the default
- ``generate(rnd) -> {"announcement": str, "bidding_notice": str}``   both texts for a round (a read)
- ``save_template(judge, /, *, category, kind, text) -> NoticeTemplate``   the judge's court's template
"""

from __future__ import annotations

from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auction_site import audit, clock
from auction_site.errors import DomainError, ErrorCode
from auction_site.money import capital, yuan
from lots.access import ensure_judge
from lots.models import Category, Lot, NoticeTemplate, Round

ENGINE = Engine(loaders=[], libraries={}, autoescape=False, debug=False, string_if_invalid="")
MAX_TEMPLATE = 20_000

DEFAULT_ANNOUNCEMENT = """{{ court }}关于{{ round_name }}“{{ title }}”的竞买公告

{{ court }}将于{{ starts_at }}至{{ ends_at }}（北京时间，延时的除外）在本平台对下列标的物进行公开{{ round_name }}。现公告如下：

一、案号：{{ case_number }}；执行依据：{{ judgment_enforced }}。
二、标的物：{{ title }}（{{ category }}），所在地：{{ location }}。{{ description }}
三、权属情况：{{ title_status }}；占有使用情况：{{ occupancy }}；瑕疵与权利负担：{{ defects }}。
四、参考价：{{ reference_price }}（{{ reference_price_source }}）。{{ price_label }}：¥{{ starting_price }}（{{ starting_price_capital }}）{% if not selloff %}，保证金：¥{{ deposit }}，加价幅度：¥{{ increment }}{% endif %}。
五、保证金由竞买人以本人名义在竞价结束前通过本平台缴入{{ account }}。
六、优先购买权人：{% if priority_holders %}{{ priority_holders|join:"；" }}。优先购买权人经法院确认后参加竞买，未参加的视为放弃优先购买权{% else %}无{% endif %}。
七、税费承担：{{ tax_payer }}。
八、买受人应在成交后{{ balance_due_days }}日内付清余款。
九、咨询：{{ court }}，{{ court_contact }}。
"""

DEFAULT_BIDDING_NOTICE = """竞买须知（{{ title }}，{{ round_name }}）

一、竞买人应当具备完全民事行为能力，以本人真实身份实名报名；单位由其法定代表人实名报名。
二、法院及平台工作人员及其近亲属、被执行人、曾在本标的物拍卖中悔拍的人员不得竞买。
三、标的物按现状拍卖，请在报名前阅读竞买公告、标的物介绍及瑕疵与权利负担说明。
四、税费承担：{{ tax_payer }}。
{% if selloff %}五、本次为变卖，变卖价为¥{{ starting_price }}（{{ starting_price_capital }}），变卖期至{{ ends_at }}；最先付清全部价款并确认购买者为买受人。
{% else %}五、竞买人须在竞价结束前以本人名义缴纳保证金¥{{ deposit }}至{{ account }}，到账后取得竞买代码。
六、竞价自{{ starts_at }}至{{ ends_at }}；首次出价不低于起拍价¥{{ starting_price }}，之后每次加价为¥{{ increment }}的整数倍；结束前五分钟内有出价的，结束时间延长至该出价后五分钟。
七、优先购买权人：{% if priority_holders %}{{ priority_holders|join:"；" }}{% else %}无{% endif %}。优先购买权人可以与最高出价相同的价格应价，顺位在先者优先。
八、竞价结束后，未竞得者的保证金在二十四小时内退还；买受人的保证金转为价款。
九、买受人应在成交后{{ balance_due_days }}日内付清余款；逾期不付的，保证金不予退还，并不得参加该标的物的再次拍卖。
{% endif %}"""

DEFAULTS = {NoticeTemplate.Kind.ANNOUNCEMENT: DEFAULT_ANNOUNCEMENT, NoticeTemplate.Kind.BIDDING_NOTICE: DEFAULT_BIDDING_NOTICE}

# Every placeholder a template may use (shown to the judge next to the template).
CONTEXT_KEYS = {
    "court": _("法院名称"), "court_contact": _("法院联系方式"), "case_number": _("案号"), "judgment_enforced": _("执行依据"),
    "title": _("标的名称"), "category": _("类别"), "location": _("所在地"), "description": _("标的物介绍"), "title_status": _("权属情况"),
    "occupancy": _("占有使用情况"), "defects": _("瑕疵与权利负担"), "reference_price": _("参考价"), "reference_price_source": _("参考价依据"),
    "round_name": _("拍次"), "selloff": _("是否变卖"), "price_label": _("起拍价/变卖价"), "starting_price": _("起拍价（元）"),
    "starting_price_capital": _("起拍价大写"), "deposit": _("保证金（元）"), "increment": _("加价幅度（元）"), "starts_at": _("开始时间"),
    "ends_at": _("结束时间"), "balance_due_days": _("尾款期限（日）"), "account": _("保证金账户"), "tax_payer": _("税费承担"),
    "priority_holders": _("优先购买权人（列表）"),
}


def _when(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def round_name(rnd: Round) -> str:
    if rnd.kind == Round.Kind.SELLOFF:
        return "变卖"
    return {1: "第一次拍卖", 2: "第二次拍卖"}.get(rnd.number, f"第{rnd.number}次拍卖")


def context_for(rnd: Round) -> dict:
    """The fixed context of plain values a template is rendered with (CONTEXT_KEYS)."""
    lot: Lot = rnd.lot
    case, court = lot.case, lot.case.court
    selloff = rnd.kind == Round.Kind.SELLOFF
    holders = [f"{h.name}（第{h.rank}顺位{('，' + h.basis) if h.basis else ''}）" for h in lot.priority_holders.all()]
    return {
        "court": court.name, "court_contact": court.contact or "—", "case_number": case.case_number,
        "judgment_enforced": lot.judgment_enforced or "—", "title": lot.title, "category": lot.get_category_display(),
        "location": lot.location or "—", "description": lot.description, "title_status": lot.title_status or "—",
        "occupancy": lot.occupancy or "—", "defects": lot.defects_and_encumbrances or "—",
        "reference_price": f"¥{yuan(lot.reference_price)}" if lot.reference_price else "待定",
        "reference_price_source": lot.reference_price_source or "—", "round_name": round_name(rnd), "selloff": selloff,
        "price_label": "变卖价" if selloff else "起拍价", "starting_price": yuan(rnd.starting_price),
        "starting_price_capital": capital(rnd.starting_price), "deposit": yuan(rnd.deposit), "increment": yuan(rnd.increment),
        "starts_at": _when(rnd.starts_at), "ends_at": _when(rnd.scheduled_ends_at or rnd.ends_at),
        "balance_due_days": rnd.balance_due_days,
        # 一案一账号: the deposit goes to the case's own account, through the platform.
        "account": f"{case.case_number}案款专户（一案一账号）",
        "tax_payer": lot.get_transfer_tax_payer_display(), "priority_holders": holders,
    }


def compile_template(text: str):
    if len(text) > MAX_TEMPLATE:
        raise DomainError(ErrorCode.INVALID, f"模板过长（最多 {MAX_TEMPLATE} 字）/ the template is too long", field="text")
    try:
        return ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise DomainError(ErrorCode.INVALID, f"模板有误：{exc} / the template has an error: {exc}", field="text")


def render(text: str, context: dict) -> str:
    return compile_template(text).render(Context(context, autoescape=False)).strip()


def template_text(court, category: str, kind: str) -> str:
    own = NoticeTemplate.objects.filter(court=court, category=category, kind=kind).values_list("text", flat=True).first()
    return own or DEFAULTS[kind]


def generate(rnd: Round) -> dict[str, str]:
    """Both texts of a round from its court's templates for its category (a read: nothing is saved)."""
    context = context_for(rnd)
    court, category = rnd.lot.case.court, rnd.lot.category
    return {kind: render(template_text(court, category, kind), context) for kind in NoticeTemplate.Kind.values}


def save_template(judge, /, *, category: str, kind: str, text: str) -> NoticeTemplate:
    """The judge's court's own template for a category (checked by compiling it); an empty text restores the default."""
    ensure_judge(judge)
    if category not in Category.values or kind not in NoticeTemplate.Kind.values:
        raise DomainError(ErrorCode.INVALID, "未知类别 / unknown category or kind", field="category")
    text = (text or "").strip()
    with transaction.atomic():
        if not text:
            for old in NoticeTemplate.objects.select_for_update().filter(court_id=judge.court_id, category=category, kind=kind):
                audit.record("notice_template.reset", old, actor=judge, data={"category": category, "kind": kind})
                old.delete()
            return NoticeTemplate(court_id=judge.court_id, category=category, kind=kind, text=DEFAULTS[kind], updated_at=clock.now())
        compile_template(text)
        item, _created = NoticeTemplate.objects.update_or_create(
            court_id=judge.court_id, category=category, kind=kind, defaults={"text": text, "updated_at": clock.now()})
        audit.record("notice_template.saved", item, actor=judge, data={"category": category, "kind": kind, "length": len(text)})
    return item
