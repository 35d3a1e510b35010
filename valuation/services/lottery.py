"""The appraisal lottery (B16): drawing institutions from the list, and replaying a draw from its recorded seed."""

from __future__ import annotations

import secrets

from auction_site import audit, clock
from auction_site.errors import NotFound
from valuation import rules
from valuation.models import Lottery, Valuation


def draw(valuation: Valuation, candidates: list[str]) -> list[str]:
    """Draw the institutions (codes, in order) from the sorted candidates with a fresh seed; seed and picks are kept."""
    seed = secrets.token_hex(16)
    picks = rules.draw_lottery(seed, candidates)
    lottery = Lottery.objects.create(valuation=valuation, seed=seed, candidates=candidates, picks=picks, drawn_at=clock.now())
    audit.record("valuation.lottery_drawn", lottery, chain=valuation, data={"seed": seed, "candidates": candidates, "picks": picks})
    return picks


def replay_lottery(valuation: Valuation) -> dict:
    """Anyone can replay a draw: the same seed over the same candidates picks the same institutions (B16)."""
    lottery = Lottery.objects.filter(valuation=valuation).first()
    if lottery is None:
        raise NotFound("该估价未摇号 / this valuation had no lottery")
    replayed = rules.draw_lottery(lottery.seed, lottery.candidates)
    return {"seed": lottery.seed, "candidates": lottery.candidates, "picks": lottery.picks, "replayed": replayed,
            "matches": replayed == lottery.picks}
