"""The appraisal lottery (B16) by commit-reveal: nobody, the court included, can re-roll it.

At commitment time the candidates, the court's commitment, the draw time and the reveal deadline are fixed and
published. Each party may commit (SHA-256 of a secret of its own) before the draw time and reveal it from the draw
time until the deadline; a reveal that does not hash to its commitment is refused. The draw (valuation.services.appraisal
runs it, then sends the inquiries) takes seed = rules.lottery_seed(revealed secrets in a fixed order, beacon) and picks
rules.draw_lottery(seed, candidates); `replay` recomputes it from the public inputs with the same functions.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from auction_site import audit, clock
from auction_site.errors import Conflict, ErrorCode, Forbidden, NotFound
from lots.access import is_judge_of
from valuation import access, beacon, rules
from valuation.models import LotteryCommitment, LotteryDraw, Valuation
from valuation.services import locks
from valuation.services.refusals import refuse

Role = LotteryCommitment.Role
ROLE_ORDER = {r: i for i, r in enumerate(rules.LOTTERY_ROLES)}


def open_draw(valuation: Valuation, candidates: list[str], *, draw_at: datetime | None = None,
              court_commitment: str | None = None) -> LotteryDraw:
    """Publish the draw: candidates, the court's commitment (made by the platform when the court gives none), time."""
    now = clock.now()
    draw_at = draw_at or now + rules.LOTTERY_NOTICE
    court_secret = ""
    if court_commitment is None:
        court_secret = secrets.token_hex(32)
        court_commitment = rules.lottery_commitment(court_secret)
    refuse(rules.check_lottery_commit(court_commitment, now, draw_at))
    draw = LotteryDraw.objects.create(valuation=valuation, candidates=sorted(set(candidates)), committed_at=now, draw_at=draw_at,
                                      reveal_until=draw_at + rules.LOTTERY_REVEAL_WINDOW)
    LotteryCommitment.objects.create(draw=draw, role=Role.COURT, commitment=court_commitment, secret=court_secret,
                                     held_by_platform=bool(court_secret), committed_at=now)
    audit.record("valuation.lottery_committed", draw, chain=valuation,
                 data={"candidates": draw.candidates, "court_commitment": court_commitment, "draw_at": draw_at.isoformat(),
                       "reveal_until": draw.reveal_until.isoformat()})
    return draw


def _draw_of(valuation: Valuation) -> LotteryDraw:
    draw = LotteryDraw.objects.filter(valuation=valuation).first()  # the valuation's lock serialises its draw
    if draw is None:
        raise NotFound("该估价未摇号 / this valuation has no lottery")
    return draw


def _participant(user: Any, valuation: Valuation) -> tuple[str, Any]:
    if is_judge_of(user, valuation.lot):
        return Role.COURT, None
    party = access.ensure_party(user, valuation)
    return (Role.APPLICANT if party.side == "applicant" else Role.RESPONDENT), party


def commit(user: Any, /, *, valuation: Valuation, commitment: Any) -> LotteryCommitment:
    """A party adds its commitment before the draw time (one each; the court's is fixed when the draw is opened)."""
    valuation = locks.valuation(valuation.pk)
    draw = _draw_of(valuation)
    role, party = _participant(user, valuation)
    now = clock.now()
    bad = rules.check_lottery_commit(commitment, now, draw.draw_at)
    refuse(bad, status=409 if bad is not None and bad.code == ErrorCode.LOTTERY_COMMIT_CLOSED else 400)
    if role == Role.COURT or draw.commitments.filter(party=party).exists():
        raise Conflict(ErrorCode.LOTTERY_ALREADY_COMMITTED, "[B16] 已提交过承诺 / this participant has already committed")
    c = LotteryCommitment.objects.create(draw=draw, role=role, party=party, commitment=commitment, committed_at=now)
    audit.record("valuation.lottery_commitment", c, chain=valuation, actor=user, data={"role": role, "commitment": commitment})
    return c


def reveal(user: Any, /, *, valuation: Valuation, secret: Any) -> LotteryCommitment:
    """The participant reveals its secret from the draw time until the deadline; it must hash to its commitment."""
    valuation = locks.valuation(valuation.pk)
    draw = _draw_of(valuation)
    role, party = _participant(user, valuation)
    mine = draw.commitments.filter(role=Role.COURT) if role == Role.COURT else draw.commitments.filter(party=party)
    c = mine.first()
    if c is None:
        raise Conflict(ErrorCode.LOTTERY_NOT_COMMITTED, "[B16] 未提交承诺，无可公开 / nothing committed to reveal")
    if c.revealed_at is not None or draw.drawn_at is not None:
        raise Conflict(ErrorCode.LOTTERY_ALREADY_REVEALED, "[B16] 已公开或已摇号 / already revealed, or the draw has run")
    if c.held_by_platform:
        raise Forbidden("[B16] 法院的秘密由平台保管，摇号时公开 / the platform reveals the court's secret at the draw",
                        code=ErrorCode.LOTTERY_ALREADY_COMMITTED)
    refuse(rules.check_lottery_secret(secret))
    bad = rules.check_lottery_reveal(secret, c.commitment, clock.now(), draw.draw_at, draw.reveal_until)
    refuse(bad, status=400 if bad is not None and bad.code == ErrorCode.LOTTERY_REVEAL_MISMATCH else 409)
    c.secret, c.revealed_at = secret, clock.now()
    c.save(update_fields=["secret", "revealed_at"])
    audit.record("valuation.lottery_revealed", c, chain=valuation, actor=user, data={"role": role, "secret": secret})
    return c


def seed_inputs(draw: LotteryDraw) -> list[tuple[str, str]]:
    """The revealed secrets in the fixed order: court, applicants, respondents (by party id); label "role:party"."""
    shown = [c for c in draw.commitments.all() if c.revealed_at is not None]
    shown.sort(key=lambda c: (ROLE_ORDER[c.role], c.party_id or 0))
    return [(f"{c.role}:{c.party_id or ''}", c.secret) for c in shown]


def is_due(draw: LotteryDraw, now: datetime) -> bool:
    pending = any(c.revealed_at is None and not c.held_by_platform for c in draw.commitments.all())
    return draw.drawn_at is None and rules.lottery_due(now, draw.draw_at, draw.reveal_until, not pending)


def run(draw: LotteryDraw, now: datetime) -> list[str]:
    """Draw once (the caller holds the valuation's lock): reveal the platform-held court secret, fix the beacon,
    seed and picks. A draw already run is returned as it was: it can never be run again with another result."""
    if draw.drawn_at is not None:
        return list(draw.picks)
    if not is_due(draw, now):
        raise Conflict(ErrorCode.LOTTERY_NOT_DUE, "[B16] 未到摇号时间或仍在等待公开秘密 / the draw is not due yet")
    draw.commitments.filter(held_by_platform=True, revealed_at__isnull=True).update(revealed_at=now)
    draw.beacon_round, draw.beacon = beacon.value_before(draw.draw_at)
    draw.seed = rules.lottery_seed(seed_inputs(draw), draw.beacon)
    draw.picks = rules.draw_lottery(draw.seed, draw.candidates)
    draw.drawn_at = now
    draw.save(update_fields=["beacon_round", "beacon", "seed", "picks", "drawn_at"])
    audit.record("valuation.lottery_drawn", draw, chain=draw.valuation,
                 data={"seed": draw.seed, "beacon": draw.beacon, "beacon_round": draw.beacon_round, "picks": draw.picks})
    return list(draw.picks)


def replay(draw: LotteryDraw) -> dict:
    """Recompute a draw from its public inputs (the same functions as the draw): anyone gets the same institutions."""
    inputs = seed_inputs(draw) if draw.drawn_at else []
    seed = rules.lottery_seed(inputs, draw.beacon) if draw.drawn_at else ""
    replayed = rules.draw_lottery(seed, draw.candidates) if draw.drawn_at else []
    return {
        "candidates": draw.candidates, "draw_at": draw.draw_at.isoformat(), "reveal_until": draw.reveal_until.isoformat(),
        "drawn_at": draw.drawn_at.isoformat() if draw.drawn_at else None,
        "commitments": [{"role": c.role, "party": c.party_id, "commitment": c.commitment,
                         "secret": c.secret if c.revealed_at else None,
                         "revealed_at": c.revealed_at.isoformat() if c.revealed_at else None} for c in draw.commitments.all()],
        "beacon_round": draw.beacon_round, "beacon": draw.beacon or None, "seed": draw.seed or None, "picks": draw.picks,
        "recomputed_seed": seed or None, "replayed": replayed,
        "matches": bool(draw.drawn_at) and seed == draw.seed and replayed == draw.picks,
    }


def replay_lottery(valuation: Valuation) -> dict:
    """Anyone can replay a draw from its public inputs (B16)."""
    draw = LotteryDraw.objects.filter(valuation=valuation).first()
    if draw is None:
        raise NotFound("该估价未摇号 / this valuation had no lottery")
    return replay(draw)
