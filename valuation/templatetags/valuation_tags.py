from django import template
from django.utils.translation import get_language

from auction_site.money import yuan as _yuan
from valuation import selectors

register = template.Library()


@register.simple_tag
def lot_valuation_basis(lot):
    """Public basis of a lot's reference price (method, when fixed, validity) — nothing non-public."""
    return selectors.public_basis(lot)


@register.filter
def yuan(fen):
    return _yuan(fen)


@register.filter
def in_language(text: str) -> str:
    """A bilingual record ("[B11] 中文 / English", as rules and services write them) in the page's language only."""
    if not text or " / " not in text:
        return text
    zh, _sep, en = text.partition(" / ")
    if not get_language().lower().startswith("en"):
        return zh
    article = zh[: zh.index("]") + 2] if zh.startswith("[") and "]" in zh else ""
    return f"{article}{en}"
