"""The appraisal (B14–B20) after it is sent: extensions (B19), the next institution when one is late (B19) or its
report is set aside on an objection (B22), and the clock's decision at the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode, NotFound
from valuation import rules
from valuation.models import Inquiry, Valuation
from valuation.services import lifecycle, locks, lottery, reference, sending
from valuation.services.refusals import refuse


def extend(valuation: Valuation, inquiry: Inquiry, now: datetime, *, days: Any, actor: Any = None) -> None:
    """B19: granted at once by rule when asked ≥ 5 days before the deadline, ≤ 15 days, at most twice."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise DomainError(ErrorCode.DAYS_REQUIRED, "[B19] 须申请延长的天数（整数） / give the number of days", field="days")
    refuse(rules.check_appraisal_extension(now, inquiry.deadline, inquiry.extensions_granted, days))
    old = inquiry.deadline
    inquiry.deadline = old + timedelta(days=days)
    inquiry.extensions_granted += 1
    inquiry.extension_requested_at = now
    inquiry.extension_days_requested = days
    inquiry.save(update_fields=["deadline", "extensions_granted", "extension_requested_at", "extension_days_requested"])
    audit.record("valuation.extension_granted", inquiry, chain=valuation, actor=actor, data={"days": days, "from": old, "to": inquiry.deadline})


def restart(valuation: Valuation, *, actor: Any = None) -> None:
    """An upheld objection to an appraisal: the next institution in order appraises afresh."""
    if not lifecycle.reopen(valuation, actor=actor):
        reference.set_aside(valuation, actor=actor)
        lifecycle.fail(valuation, "[B22] 异议成立，报告不予采用；该标的已有进行中的估价 / objection upheld: the report is set aside "
                                  "(another valuation of the lot is in progress)", actor=actor)
        return
    if not sending.send_next_institution(valuation):
        lifecycle.fail(valuation, "[B19] 三家评估机构均未能出具有效报告 / no institution left", actor=actor)


def deadline_passed(valuation: Valuation, overdue: list[Inquiry]) -> str:
    """B19: late without an (allowed) extension → the next institution in order; none left → failed."""
    for inq in overdue:
        sending.mark_missed(inq, valuation, extensions=inq.extensions_granted)
    if sending.send_next_institution(valuation):
        return "replaced"
    lifecycle.fail(valuation, "[B19] 三家评估机构均未按期出具报告 / no institution reported in time")
    return "failed"


def run_lottery(actor: Any, /, *, valuation: Valuation) -> dict:
    """B16: anyone may ask for a due draw to be run (the clock runs it too); run twice, it gives the same result."""
    with transaction.atomic():
        valuation = locks.valuation(valuation.pk)
        if not hasattr(valuation, "lottery"):
            raise NotFound("该估价未摇号 / this valuation has no lottery")
        if valuation.lottery.drawn_at is None and valuation.status != Valuation.Status.OPEN:
            raise Conflict(ErrorCode.LOTTERY_NOT_DUE, "[B16] 该估价已结束 / the valuation has ended")
        sending.send_drawn(valuation, clock.now())
        return lottery.replay(valuation.lottery)


def commit_lottery(user: Any, /, *, valuation: Valuation, commitment: Any) -> dict:
    with transaction.atomic():
        c = lottery.commit(user, valuation=valuation, commitment=commitment)
        return {"role": c.role, "commitment": c.commitment, "committed_at": c.committed_at.isoformat()}


def reveal_lottery(user: Any, /, *, valuation: Valuation, secret: Any) -> dict:
    with transaction.atomic():
        c = lottery.reveal(user, valuation=valuation, secret=secret)
        return {"role": c.role, "commitment": c.commitment, "secret": c.secret, "revealed_at": c.revealed_at.isoformat()}
