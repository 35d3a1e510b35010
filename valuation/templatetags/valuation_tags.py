from django import template

from auction_site import errors
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
    return errors.in_language(text) if text else text
