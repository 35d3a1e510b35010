"""The price as a discount of the valuation (X折): the one place its rounding is defined.

A round's discount is its starting price as a whole percentage of the lot's reference price (参考价, the
valuation), rounded half up: 70% → 7折, 72.5% → 73 → 7.3折, 69.5% → 70 → 7折. Integer arithmetic only
(money is fen). The catalogue stores it on the round (`Round.discount`, set by lots.rounds) so that the
discount filter reads an index; the lot page and the card show `label(percent)`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# Stored in a small integer; a starting price a hundred times its valuation is no discount to anybody.
CAP = 9999


def percent(price: int | None, reference: int | None) -> int | None:
    """`price` as a whole percentage of `reference`, rounded half up; None without a positive reference."""
    if price is None or reference is None or reference <= 0 or price < 0:
        return None
    return min((200 * price + reference) // (2 * reference), CAP)


def tenths_of_zhe(value: str | int) -> int:
    """A discount typed in 折 with at most one decimal ("7", "7.5") → percent (70, 75). ValueError otherwise."""
    text = str(value).strip()
    whole, _dot, tenth = text.partition(".")
    if not whole.isdigit() or (_dot and (len(tenth) != 1 or not tenth.isdigit())):
        raise ValueError(text)
    return int(whole) * 10 + int(tenth or 0)


def label(pct: int | None) -> str:
    """70 → "7折", 73 → "7.3折"; nothing at or above the valuation (100% and more) or without one."""
    if pct is None or pct >= 100:
        return ""
    whole, tenth = divmod(pct, 10)
    # English: "70% of the valuation" (the same number, said as a share)
    return _("%(zhe)s折") % {"zhe": f"{whole}.{tenth}" if tenth else f"{whole}", "percent": pct}
