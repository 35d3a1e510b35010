from django import template

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
