from django import template

from auction_site.money import yuan as _yuan

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


@register.simple_tag(takes_context=True)
def round_standing(context, rnd):
    """The signed-in bidder's outcome and next steps on a finished round, or None."""
    from escrow import selectors

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or rnd is None:
        return None
    return selectors.standing(user, rnd)
