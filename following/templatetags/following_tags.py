from django import template

from following import selectors

register = template.Library()


def _numbers(context, rnd) -> dict:
    """The round's numbers; on a catalogue page every card's are read at once (cached on the request)."""
    request = context.get("request")
    cache = getattr(request, "_following_numbers", None) if request is not None else None
    if cache is None or rnd.pk not in cache:
        cards = context.get("cards") or []
        rounds = [c["round"] for c in cards if isinstance(c, dict) and "round" in c] or [rnd]
        if rnd not in rounds:
            rounds.append(rnd)
        cache = selectors.numbers(rounds)
        if request is not None:
            request._following_numbers = cache
    return cache[rnd.pk]


@register.inclusion_tag("following/_card_numbers.html", takes_context=True)
def card_numbers(context, rnd) -> dict:
    return {"n": _numbers(context, rnd)}


@register.inclusion_tag("following/_follow_box.html", takes_context=True)
def follow_box(context, rnd) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = context.get("current")  # the lot page's current round: the watch button is shown once, with it
    return {"round": rnd, "n": _numbers(context, rnd), "state": selectors.follow_state(user, rnd), "user": user,
            "request": request, "csrf_token": context.get("csrf_token"), "is_current": current is None or current.pk == rnd.pk}
