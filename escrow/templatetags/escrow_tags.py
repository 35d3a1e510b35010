from django import template

from auction_site.money import yuan as _yuan
from escrow import rules

register = template.Library()


@register.filter
def fen_yuan(value) -> str:
    """Integer fen -> '123,456.78' (never through a float)."""
    return _yuan(value)


@register.simple_tag(takes_context=True)
def round_registration(context, rnd):
    """The signed-in user's registration for `rnd` (with its deposit), or None."""
    from escrow import selectors

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or rnd is None:
        return None
    return selectors.registration_for(user, rnd)


@register.simple_tag
def deposit_route(rnd) -> dict:
    """How a round's deposit is paid: {'route': 'card'|'bank', 'amount', 'reason'} (routing by size)."""
    amount = rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price)
    route = rules.payment_route(amount)
    return {"route": route, "amount": amount, "reason": rules.ROUTE_REASONS.get(route, "")}
@register.simple_tag(takes_context=True)
def round_standing(context, rnd):
    """The signed-in bidder's outcome and next steps on a finished round, or None."""
    from escrow import selectors

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or rnd is None:
        return None
    return selectors.standing(user, rnd)
