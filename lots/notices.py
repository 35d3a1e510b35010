"""The texts a bidder reads before registering for a round: the 竞买公告 and the 竞买须知.

A round's own stored text (written by the court, or saved from the generated one) is used when it has one:
the registration commitment hashes exactly the text shown, so a stored text is never regenerated. Otherwise
the text is generated from the court's template for the lot's category by lots.texts (the one generator).
Pure reads: nothing here writes.
"""

from __future__ import annotations

from lots import texts
from lots.models import NoticeTemplate, Round

round_name = texts.round_name


def bidding_notice(rnd: Round) -> str:
    """The round's 竞买须知: its stored text, else the one generated from the court's template."""
    return rnd.bidding_notice.strip() or _generated(rnd, NoticeTemplate.Kind.BIDDING_NOTICE)


def announcement(rnd: Round) -> str:
    """The round's 竞买公告: its stored text, else the one generated from the court's template."""
    return rnd.announcement.strip() or _generated(rnd, NoticeTemplate.Kind.ANNOUNCEMENT)


def _generated(rnd: Round, kind: str) -> str:
    return texts.render(texts.template_text(rnd.lot.case.court, rnd.lot.category, kind), texts.context_for(rnd))
