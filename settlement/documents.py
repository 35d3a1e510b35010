"""PDF rendering of the sale documents (A22) with an embedded CJK TrueType font.

The font comes from the Debian package `fonts-wqy-zenhei` (the Makefile's `system` target installs
it). Without it Chinese text would render as empty boxes, so rendering fails loudly instead.
"""

import io
import os
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from auction_site.money import capital, yuan

FONT_NAME = "WenQuanYiZenHei"
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class FontMissing(RuntimeError):
    pass


def font_path() -> str:
    return getattr(settings, "SETTLEMENT_CJK_FONT", "") or os.environ.get("SETTLEMENT_CJK_FONT", "") or DEFAULT_FONT_PATH


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    path = font_path()
    if not os.path.exists(path):
        raise FontMissing(
            f"CJK font not found at {path}: install it with `apt-get install -y fonts-wqy-zenhei` "
            "(or `make system`), or point SETTLEMENT_CJK_FONT at a TrueType font with Chinese glyphs"
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    return FONT_NAME


@dataclass(frozen=True)
class SaleFacts:
    """Everything printed on the documents, read once from the database."""

    court: str
    case_number: str
    lot_title: str
    lot_location: str
    round_label: str
    buyer_name: str
    bidder_code: str
    price: int
    starting_price: int
    closed_at: datetime
    balance_due_at: datetime | None
    applicants: list[str]
    respondents: list[str]
    paid_at: datetime | None = None
    generated_at: datetime | None = None
    transcript_root: str = ""  # the signed Merkle root of the round's bids and events (transparency)
    transcript_leaves: int = 0
    key_fingerprint: str = ""
    round_id: int = 0
    # joint bidding: every buyer with their share ("60%"); agent bidding: the principal, and the agent's name
    shares: tuple[tuple[str, str], ...] = ()
    agent_name: str = ""


def _local(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return dt.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M:%S")


def _price_lines(facts: SaleFacts) -> list[str]:
    return [
        f"成交价（小写）：人民币 ¥{yuan(facts.price)} 元",
        f"成交价（大写）：人民币{capital(facts.price)}",
    ]


def _buyer_line(facts: SaleFacts) -> str:
    """A22: the buyer in their real name; a joint bid names every buyer with their share; an agent's principal is the buyer."""
    if facts.shares:
        return "买受人（联合竞买，按份共有）：" + "、".join(f"{name}（份额{share}）" for name, share in facts.shares)
    if facts.agent_name:
        return f"买受人：{facts.buyer_name}（委托竞买，委托代理人：{facts.agent_name}）"
    return f"买受人：{facts.buyer_name}"


def _buyer_words(facts: SaleFacts) -> str:
    if facts.shares:
        return "、".join(f"{name}（份额{share}）" for name, share in facts.shares)
    return facts.buyer_name


def _build(title: str, paragraphs: list[str], footer: list[str], note: str = "") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = _register_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=25 * mm, title=title, author="司法拍卖平台", subject=title)
    h = ParagraphStyle("title", fontName=font, fontSize=20, leading=30, alignment=1, spaceAfter=12, wordWrap="CJK")
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=22, wordWrap="CJK", spaceAfter=4)
    right = ParagraphStyle("right", parent=body, alignment=2)
    story = [Paragraph(title, h), Spacer(1, 6)]
    for text in paragraphs:
        story.append(Paragraph(_escape(text), body))
    story.append(Spacer(1, 18))
    for text in footer:
        story.append(Paragraph(_escape(text), right))
    if note:
        story.append(Spacer(1, 24))
        story.append(Paragraph(_escape(note), ParagraphStyle("note", parent=body, fontSize=9, leading=14, textColor="#555555")))
    doc.build(story)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_confirmation(facts: SaleFacts) -> bytes:
    """网络竞价成交确认书 (A22): the deal in the buyer's real name."""
    paragraphs = [
        f"执行法院：{facts.court}",
        f"案号：{facts.case_number}",
        f"拍卖标的：{facts.lot_title}" + (f"（{facts.lot_location}）" if facts.lot_location else ""),
        f"拍次：{facts.round_label}",
        _buyer_line(facts),
        f"竞买代码：{facts.bidder_code}",
        *_price_lines(facts),
        f"起拍价：人民币 ¥{yuan(facts.starting_price)} 元",
        f"成交时间：{_local(facts.closed_at)}（北京时间）",
        f"尾款缴纳期限：{_local(facts.balance_due_at)}",
        ("用户姓名 " + facts.buyer_name if not facts.agent_name else f"委托代理人 {facts.agent_name} 代委托人 {facts.buyer_name}")
        + " 通过竞买号 " + facts.bidder_code
        + " 于网络司法拍卖平台对上述标的进行公开竞价，以最高应价胜出。"
        "买受人应在拍卖公告确定的期限内将剩余价款交付人民法院；标的物所有权自拍卖成交裁定送达买受人时起转移。",
    ]
    if facts.transcript_root:
        paragraphs.append(
            f"竞价记录签名：本轮全部 {facts.transcript_leaves} 条出价及状态事件的默克尔树根 {facts.transcript_root}，"
            f"经平台 Ed25519 密钥签名（公钥指纹 {facts.key_fingerprint}）；任何人可在本平台 /rounds/{facts.round_id}/verify/ "
            "页面或以 manage.py verify_round 独立验证。")
    footer = [facts.court, f"生成时间：{_local(facts.generated_at or facts.closed_at)}"]
    note = "本确认书由网络司法拍卖平台依《最高人民法院关于人民法院网络司法拍卖若干问题的规定》第二十二条生成。"
    return _build("网络竞价成交确认书", paragraphs, footer, note)


def render_ruling(facts: SaleFacts) -> bytes:
    """拍卖成交裁定 (draft for the judge to sign, A22): ownership passes with the ruling."""
    applicants = "、".join(facts.applicants) or "—"
    respondents = "、".join(facts.respondents) or "—"
    paragraphs = [
        f"{facts.court}",
        "执 行 裁 定 书（草稿）",
        f"{facts.case_number}",
        f"申请执行人：{applicants}",
        f"被执行人：{respondents}",
        f"本院在执行{facts.case_number}案件中，依法对{facts.lot_title}进行网络司法拍卖（{facts.round_label}）。"
        f"买受人{_buyer_words(facts)}（竞买代码 {facts.bidder_code}"
        + (f"，由委托代理人{facts.agent_name}代为竞买" if facts.agent_name else "") + f"）于{_local(facts.closed_at)}以最高价竞得，"
        f"并已于{_local(facts.paid_at)}前付清全部价款。",
        *_price_lines(facts),
        "依照《中华人民共和国民事诉讼法》及《最高人民法院关于人民法院网络司法拍卖若干问题的规定》第二十二条之规定，裁定如下：",
        f"一、{facts.lot_title}归买受人{_buyer_words(facts)}" + ("按上述份额共有" if facts.shares else "") + "所有，所有权自本裁定送达买受人时起转移；",
        "二、买受人可持本裁定书到登记机构办理相关产权过户登记手续。",
        "本裁定送达后即发生法律效力。",
    ]
    footer = ["审判长：__________", "审判员：__________", f"{facts.court}（印）", "（草稿，须经合议庭签署）"]
    return _build("拍卖成交裁定书（草稿）", paragraphs, footer)


RENDERERS = {"confirmation": render_confirmation, "ruling": render_ruling}
