"""Template filters of the lots pages: money in yuan from integer fen, masked ID numbers, round labels."""

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from auction_site.errors import in_language
from auction_site.money import yuan as money_yuan
from lots import discount

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """330925000 -> '3,309,250'; 12345 -> '123.45'; None -> '—'."""
    text = money_yuan(fen)
    return text[:-3] if text.endswith(".00") else text


@register.filter
def wan(fen: int | None) -> str:
    """Short form for cards: 330925000 -> '330.93万' (amounts under 1万 yuan stay in yuan)."""
    if fen is None:
        return "—"
    if abs(fen) < 1_000_000 or not (get_language() or "zh").startswith("zh"):
        return yuan(fen)
    whole, rest = divmod(int(fen), 1_000_000)
    return f"{whole:,}.{rest * 100 // 1_000_000:02d}" + _("万")


@register.filter
def mask_id(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:]


@register.filter
def round_label(rnd) -> str:
    """一拍 / 二拍 / 变卖."""
    if rnd is None:
        return ""
    if rnd.kind == "selloff":
        return _("变卖")
    return {1: _("一拍"), 2: _("二拍")}.get(rnd.number, _("第%(n)s次拍卖") % {"n": rnd.number})


@register.filter
def iso(dt) -> str:
    return dt.isoformat() if dt else ""


@register.filter
def zhe(percent: int | None) -> str:
    """A round's stored discount (whole percent of the valuation) as "7折" / "7.3折" (lots.discount.label)."""
    return discount.label(percent)


@register.filter
def one_language(message) -> str:
    """A bilingual service message ("中文 / English") in the page's language only (auction_site.errors.in_language)."""
    return in_language(str(message or ""))
