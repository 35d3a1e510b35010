"""The parties' negotiation (B4): each party with an account submits its price before the judge's deadline; the same
price from all of them is the reference price, different prices (or the deadline passing) end it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, ErrorCode
from lots.models import CaseParty
from valuation import rules
from valuation.access import ensure_party
from valuation.models import Method, PartyOffer, Valuation
from valuation.services import lifecycle, locks, reference
from valuation.services.refusals import refuse

VStatus = Valuation.Status


def submit_offer(user: Any, /, *, valuation: Valuation, price: int) -> PartyOffer:
    """B4: a party's price; once every party has offered, the same price is the reference price, different ones fail."""
    with transaction.atomic():
        valuation = locks.valuation(valuation.pk)
        party = ensure_party(user, valuation)
        if valuation.method != Method.NEGOTIATED:
            raise Conflict(ErrorCode.NOT_NEGOTIATION, "该估价不是当事人议价 / this valuation is not a negotiation")
        if valuation.status != VStatus.OPEN:
            raise Conflict(ErrorCode.VALUATION_CLOSED, "议价已结束 / the negotiation is over")
        refuse(rules.check_price(price))
        now = clock.now()
        if now > valuation.deadline:
            raise Conflict(ErrorCode.DEADLINE_PASSED, "[B4] 已超过议价期限 / the negotiation deadline has passed")
        if PartyOffer.objects.filter(valuation=valuation, party=party).exists():
            raise Conflict(ErrorCode.ALREADY_SUBMITTED, "已提交过议价 / you already submitted a price")
        offer = PartyOffer.objects.create(valuation=valuation, party=party, price=price, submitted_at=now, submitted_by=user)
        audit.record("valuation.offer_submitted", offer, chain=valuation, actor=user,
                     data={"valuation": valuation.pk, "party": party.pk, "side": party.side})
        expected = CaseParty.objects.filter(case_id=valuation.lot.case_id, user__isnull=False).count()
        prices = list(valuation.offers.order_by("id").values_list("price", flat=True))
        outcome, agreed = rules.negotiated_outcome(prices, expected)
        if outcome == "agreed":
            reference.conclude(valuation, price=agreed, valid_until=now + rules.MAX_VALIDITY, now=now, actor=user)
        elif outcome == "disagreed":
            lifecycle.fail(valuation, "[B4] 当事人提交的价格不一致 / the parties' prices differ", actor=user)
    return offer


def deadline_passed(valuation: Valuation) -> None:
    """B4: the judge's deadline passed without the parties agreeing."""
    lifecycle.fail(valuation, "[B4] 议价期限届满，当事人未达成一致 / the negotiation deadline passed without agreement")
