"""What the clock decides at the deadlines of every open valuation (valuation/clockwork.py calls it each tick).

Outcomes follow the recorded deadlines, so a late tick changes nothing. Each valuation is decided in its own
transaction with its row locked (``skip_locked``: one being changed right now is decided on the next tick), so two
ticks at once decide each deadline once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from valuation.models import Inquiry, LotteryDraw, Method, Valuation
from valuation.services import appraisal, lifecycle, locks, lottery, negotiated, network, sending

VStatus = Valuation.Status
IStatus = Inquiry.Status


def process_deadlines(now: datetime) -> dict:
    """Decide every deadline that has passed -> counts of what happened."""
    done = {"failed": 0, "concluded": 0, "extended": 0, "replaced": 0, "corrections_missed": 0, "drawn": 0}
    # B16: a lottery at/after its draw time, its reveals in or their deadline passed.
    for vid in LotteryDraw.objects.filter(drawn_at__isnull=True, draw_at__lte=now, valuation__status=VStatus.OPEN).values_list("valuation_id", flat=True):
        with transaction.atomic():
            valuation = locks.valuations(skip_locked=True).filter(pk=vid, status=VStatus.OPEN).first()
            if valuation is not None and lottery.is_due(valuation.lottery, now):
                sending.send_drawn(valuation, now)
                done["drawn"] += 1
    # B4: a negotiation past the judge's deadline.
    for vid in Valuation.objects.filter(status=VStatus.OPEN, method=Method.NEGOTIATED, deadline__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            valuation = locks.valuations(skip_locked=True).filter(pk=vid, status=VStatus.OPEN).first()
            if valuation is not None:
                negotiated.deadline_passed(valuation)
                done["failed"] += 1
    # An inquiry past its deadline (directed B6, network B11, appraisal B19).
    for vid in (Inquiry.objects.filter(status=IStatus.PENDING, deadline__lt=now, valuation__status=VStatus.OPEN)
                .order_by().values_list("valuation_id", flat=True).distinct()):
        with transaction.atomic():
            valuation = locks.valuations(skip_locked=True).filter(pk=vid, status=VStatus.OPEN).first()
            if valuation is None:
                continue
            key = _inquiry_deadline_passed(valuation, now)
            if key:
                done[key] += 1
    # B12: corrections not delivered in time -> the result is set aside.
    for vid in (Inquiry.objects.filter(status=IStatus.ANSWERED, correction_due__lt=now)
                .order_by().values_list("valuation_id", flat=True).distinct()):
        with transaction.atomic():
            valuation = locks.valuations(skip_locked=True).filter(pk=vid).first()
            if valuation is not None:
                done["corrections_missed"] += network.corrections_missed(valuation, now)
    return done


def _inquiry_deadline_passed(valuation: Valuation, now: datetime) -> str | None:
    overdue = list(locks.inquiries_of(valuation).filter(status=IStatus.PENDING, deadline__lt=now))
    if not overdue:
        return None  # another tick already dealt with it
    if valuation.method == Method.DIRECTED:
        for inquiry in overdue:
            sending.mark_missed(inquiry, valuation)
        lifecycle.fail(valuation, "[B6] 定向询价机构未在期限内答复 / the agency did not answer in time")
        return "failed"
    if valuation.method == Method.APPRAISAL:
        return appraisal.deadline_passed(valuation, overdue)
    return network.deadline_passed(valuation, overdue, now)
