"""THE OWNER of a lot's reference price: a valuation's result is fixed here, delivered (B21), set aside, and becomes
(or stops being) the lot's reference price here and nowhere else.

The API, for every method (negotiated B4 rounds included), inside the caller's transaction with the valuation locked
(``locks.valuation(pk)``):

- ``conclude(valuation, *, price, valid_until, now, actor=None, n=None, data=None)`` — the method succeeded with this
  price (fen) valid until then: the valuation is concluded (or recomputed), the lot's reference price set, the parties
  notified. ``conclude_single(valuation, quote)`` for one result (directed, appraisal); ``network_average`` for B13.
- ``set_aside(valuation)`` — every result it rested on was set aside: the lot's price is cleared (if still this one's).
- ``apply_reference_price(valuation)`` — the single writer below both: copies the valuation's outcome onto the lot's
  fields (through lots.services, which locks the lot row) with the source "<method> · 估价#<id>".

Reads: ``valuation.selectors.reference_of(lot)`` (the amount and the valuation it came from) — what every page shows;
the round form and the publication rules read the lot's fields this module wrote. Never write ``Lot.reference_price``
anywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auction_site import audit, clock
from auction_site.money import yuan
from lots.services import clear_reference_price, set_reference_price
from valuation import rules, selectors
from valuation.models import Inquiry, Quote, Valuation
from valuation.services import notices

VStatus = Valuation.Status


def apply_reference_price(valuation: Valuation, *, actor: Any = None, n: int | None = None) -> None:
    """The one place a valuation's outcome becomes (or stops being) the lot's reference price."""
    if valuation.reference_price is not None:
        set_reference_price(actor, lot=valuation.lot, amount=valuation.reference_price, source=notices.describe(valuation, n), fixed_at=valuation.fixed_at, valid_until=valuation.valid_until)
        return
    # Every result was set aside: the lot has no usable reference price until a new one is fixed (only if the
    # lot's price is still this valuation's).
    clear_reference_price(actor, lot=valuation.lot, source_suffix=f"估价#{valuation.pk}", data={"valuation": valuation.pk})


def deliver(valuation: Valuation) -> None:
    """B21: the result reaches the parties (an in-site notice now, its e-mail after commit)."""
    valuation.delivered_at = clock.now()
    valuation.save(update_fields=["delivered_at"])
    objection = "；可在收到之日起五日内提出异议" if valuation.method in rules.OBJECTIONABLE_METHODS else ""
    notices.notify_parties(valuation, "result", f"参考价已确定：{valuation.lot.title}",
                           f"{notices.describe(valuation)}：参考价 {yuan(valuation.reference_price)} 元，有效期至 "
                           f"{notices.local_time(valuation.valid_until)}{objection}。")
    audit.record("valuation.delivered", valuation, chain=valuation, data={"delivered_at": valuation.delivered_at})


def conclude(valuation: Valuation, *, price: int, valid_until: datetime, now: datetime, actor: Any = None, n: int | None = None,
             data: dict | None = None) -> None:
    """The result is fixed (or, for a concluded network inquiry whose results changed, fixed again: "recomputed"); it
    becomes the lot's reference price and is delivered to the parties."""
    recomputed = valuation.status == VStatus.CONCLUDED
    valuation.reference_price, valuation.fixed_at, valuation.valid_until = price, now, valid_until
    fields = ["reference_price", "fixed_at", "valid_until"]
    if not recomputed:
        valuation.status, valuation.ended_at = VStatus.CONCLUDED, now
        fields += ["status", "ended_at"]
    valuation.save(update_fields=fields)
    audit.record("valuation.recomputed" if recomputed else "valuation.concluded", valuation, chain=valuation, actor=actor,
                 data={"reference_price": price, "valid_until": valid_until, **(data or {})})
    apply_reference_price(valuation, actor=actor, n=n)
    deliver(valuation)


def conclude_single(valuation: Valuation, quote: Quote, *, actor: Any = None) -> None:
    """Directed inquiry or appraisal: the one result is the reference price."""
    now = clock.now()
    conclude(valuation, price=quote.price, valid_until=rules.reference_valid_until([quote.valid_until], now), now=now, actor=actor,
             data={"quote": quote.pk})


def network_average(valuation: Valuation, *, actor: Any = None) -> bool:
    """B13: the reference price is the average of the results that count; False (and no price) when none is left."""
    quotes = selectors.effective_network_quotes(valuation)
    if not quotes:
        set_aside(valuation, actor=actor)
        return False
    now = clock.now()
    conclude(valuation, price=rules.average_half_up([q.price for q in quotes]), now=now, actor=actor, n=len(quotes),
             valid_until=rules.reference_valid_until([q.valid_until for q in quotes], now),
             data={"quotes": [q.pk for q in quotes], "prices": [q.price for q in quotes]})
    return True


def set_aside(valuation: Valuation, *, actor: Any = None) -> None:
    """The valuation no longer has a result (every result it rested on was set aside)."""
    valuation.reference_price = None
    valuation.valid_until = None
    valuation.save(update_fields=["reference_price", "valid_until"])
    apply_reference_price(valuation, actor=actor)


def exclude(inquiry: Inquiry, valuation: Valuation, reason: str, *, actor: Any = None) -> None:
    """A result is set aside (an upheld objection, a correction not delivered in time)."""
    inquiry.status = Inquiry.Status.EXCLUDED
    inquiry.excluded_reason = reason[:300]
    inquiry.correction_due = None
    inquiry.save(update_fields=["status", "excluded_reason", "correction_due"])
    audit.record("valuation.result_excluded", inquiry, chain=valuation, actor=actor, data={"reason": reason})
