"""The parties' negotiation (B4): the applicant and the debtor exchange offers in rounds before the judge's deadline;
when one side offers the price the other side offered last, that price is the reference price (through
``reference.conclude``, the one owner of the lot's reference price). The deadline passing without that ends it
(the clock), and B2 goes on to the next method."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, ErrorCode
from auction_site.money import yuan
from valuation import rules
from valuation.access import ensure_party
from valuation.models import Method, PartyOffer, Valuation
from valuation.services import lifecycle, locks, notices, reference
from valuation.services.refusals import refuse

VStatus = Valuation.Status
SIDE_NAMES = {"applicant": "申请执行人", "respondent": "被执行人"}


def submit_offer(user: Any, /, *, valuation: Valuation, price: int) -> PartyOffer:
    """B4: one side's offer in the next round; the same price as the other side's last offer is the agreement."""
    with transaction.atomic():
        valuation = locks.valuation(valuation.pk)
        party = ensure_party(user, valuation)
        if valuation.method != Method.NEGOTIATED:
            raise Conflict(ErrorCode.NOT_NEGOTIATION, "该估价不是当事人议价 / this valuation is not a negotiation")
        if valuation.status != VStatus.OPEN:
            raise Conflict(ErrorCode.VALUATION_CLOSED, "议价已结束 / the negotiation is over")
        refuse(rules.check_price(price))
        now = clock.now()
        offers = list(valuation.offers.select_related("party").order_by("round"))
        last = offers[-1] if offers else None
        refusal = rules.check_negotiation_offer(party.side, last.party.side if last else None, now, valuation.deadline)
        refuse(refusal, status=409)
        offer = PartyOffer.objects.create(valuation=valuation, party=party, round=len(offers) + 1, price=price, submitted_at=now,
                                          submitted_by=user)
        audit.record("valuation.offer_submitted", offer, chain=valuation, actor=user,
                     data={"valuation": valuation.pk, "party": party.pk, "side": party.side, "round": offer.round, "price": price})
        outcome, agreed = rules.negotiated_outcome([(o.party.side, o.price) for o in offers] + [(party.side, price)])
        if outcome == "agreed":
            reference.conclude(valuation, price=agreed, valid_until=now + rules.MAX_VALIDITY, now=now, actor=user)
        else:
            notices.notify_parties(
                valuation, "negotiation_offer", f"对方议价：{valuation.lot.title}",
                f"{SIDE_NAMES.get(party.side, '')}第{offer.round}轮出价 ¥{yuan(price)}。请于 {notices.local_time(valuation.deadline)} 前"
                "接受该价格或提出您的价格（B4）。", exclude_user=user)
    return offer


def deadline_passed(valuation: Valuation) -> None:
    """B4: the judge's deadline passed without the parties agreeing."""
    lifecycle.fail(valuation, "[B4] 议价期限届满，当事人未达成一致 / the negotiation deadline passed without agreement")
