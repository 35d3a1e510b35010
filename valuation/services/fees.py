"""The network inquiry fee (B31): after the sale it goes to the platform whose counted result was closest to the price."""

from __future__ import annotations

from django.db import transaction

from auction_site import audit, clock
from lots.models import Round
from valuation import rules, selectors
from valuation.models import FeeAward, Method, Valuation
from valuation.services import locks

VStatus = Valuation.Status
SOLD_STATUSES = [Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED]


def award_network_fee(round: Round) -> FeeAward | None:
    """B31: the fee of the lot's concluded network inquiry, once per valuation (an award already made is returned)."""
    sold = round.sold_price
    if sold is None:
        return None
    with transaction.atomic():
        valuation = (locks.valuations().filter(lot_id=round.lot_id, method=Method.NETWORK, status=VStatus.CONCLUDED)
                     .order_by("-fixed_at", "-id").first())
        if valuation is None:
            return None
        existing = FeeAward.objects.filter(valuation=valuation).first()
        if existing is not None:
            return existing
        quotes = {q.pk: q for q in selectors.effective_network_quotes(valuation)}
        best = rules.closest_to_sale([(q.price, q.submitted_at, q.pk) for q in quotes.values()], sold)
        if best is None:
            return None
        quote = quotes[best]
        award = FeeAward.objects.create(valuation=valuation, round=round, organisation=quote.inquiry.organisation, quote=quote,
                                        sold_price=sold, awarded_at=clock.now())
        audit.record("valuation.fee_awarded", award, chain=valuation, data={
            "round": round.pk, "organisation": quote.inquiry.organisation.code, "quote_price": quote.price, "sold_price": sold})
    return award


def award_fees_for_sold_rounds() -> int:
    """The clock's pass: every sold round of a lot whose concluded network inquiry has no award yet."""
    rounds = Round.objects.filter(status__in=SOLD_STATUSES, sold_price__isnull=False, lot__valuations__method=Method.NETWORK,
                                  lot__valuations__status=VStatus.CONCLUDED, lot__valuations__fee_award__isnull=True).distinct()
    return sum(1 for r in rounds if award_network_fee(r) is not None)
