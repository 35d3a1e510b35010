"""Public pages of valuation: the lottery's inputs and replay (B16), and the valuers' record (scorecards)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from valuation import rules, selectors, services
from valuation.models import LotteryDraw


def lottery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone: the candidates, commitments, revealed secrets, beacon and seed, recomputed here by the same code as
    `manage.py replay_lottery` (valuation.services.replay_lottery)."""
    draw = get_object_or_404(LotteryDraw.objects.select_related("valuation__lot"), valuation_id=pk)
    replay = services.replay_lottery(draw.valuation)
    return render(request, "valuation/lottery_replay.html", {"draw": draw, "lot": draw.valuation.lot, "r": replay,
                                                             "fallback": rules.BEACON_FALLBACK})


def valuer_record(request: HttpRequest) -> HttpResponse:
    return render(request, "valuation/valuer_record.html", {"rows": selectors.scorecards()})
