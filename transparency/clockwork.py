"""The clock's work for transparency: transcripts a receiver missed, and the hourly anchor."""

from __future__ import annotations

from datetime import datetime, timedelta

from lots.models import Round
from transparency import services
from transparency.models import Anchor

ANCHOR_EVERY = timedelta(hours=1)
ENDED = ["closed", "sold", "failed", "paid", "settled", "defaulted"]


def tick(now: datetime) -> dict:
    built = 0
    for round_id in Round.objects.filter(status__in=ENDED, transcript__isnull=True).values_list("pk", flat=True)[:200]:
        if services.build_transcript(round_id) is not None:
            built += 1
    last = Anchor.objects.order_by("-at").values_list("at", flat=True).first()
    anchored = None
    if built or last is None or now - last >= ANCHOR_EVERY:
        anchored = services.anchor_heads(reason="hourly", now=now)
    return {"transcripts": built, "anchored": anchored.chain_count if anchored else 0}
