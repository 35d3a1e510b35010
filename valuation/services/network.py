"""The network inquiry (B7–B13) beyond sending and averaging: the judge's correction request (B12), a platform's
extension request (B11), and what the clock decides at the deadlines (B11, B12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from lots.access import ensure_judge_of
from valuation import rules
from valuation.models import Inquiry, Method, Valuation
from valuation.services import lifecycle, locks, notices, reference, sending

VStatus = Valuation.Status
IStatus = Inquiry.Status


def request_correction(judge: Any, /, *, inquiry: Inquiry, reason: str) -> Inquiry:
    """B12: the court asks a platform to correct its result within 3 days; uncorrected, the result is set aside."""
    with transaction.atomic():
        valuation = locks.valuation(inquiry.valuation_id)
        ensure_judge_of(judge, valuation.lot)
        inquiry = locks.inquiry(inquiry.pk)
        if valuation.method != Method.NETWORK or inquiry.status != IStatus.ANSWERED:
            raise Conflict(ErrorCode.NOT_CORRECTABLE, "[B12] 只能要求已出具的网络询价结果补正 / only a delivered network result can be corrected")
        if inquiry.correction_due is not None:
            raise Conflict(ErrorCode.CORRECTION_PENDING, "已要求补正 / a correction is already requested")
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(ErrorCode.REASON_REQUIRED, "须说明补正事项 / state what to correct", field="reason")
        now = clock.now()
        inquiry.correction_requested_at = now
        inquiry.correction_due = rules.correction_deadline(now, now)
        inquiry.correction_reason = reason[:500]
        inquiry.save(update_fields=["correction_requested_at", "correction_due", "correction_reason"])
        audit.record("valuation.correction_requested", inquiry, chain=valuation, actor=judge,
                     data={"reason": reason, "due": inquiry.correction_due})
        notices.notify_valuers(inquiry, valuation, "correction", "询价结果需补正",
                               f"请于 {notices.local_time(inquiry.correction_due)} 前补正：{reason}")
    return inquiry


def ask_extension(valuation: Valuation, inquiry: Inquiry, now: datetime, *, actor: Any = None) -> None:
    """B11: a platform asks before its deadline; the request is decided at the deadline (see `deadline_passed`)."""
    if inquiry.extensions_granted or inquiry.extension_requested_at:
        raise Conflict(ErrorCode.EXTENSION_USED, "[B11] 网络询价只能延期一次 / one extension only")
    if valuation.inquiries.filter(status=IStatus.ANSWERED).exists():
        raise Conflict(ErrorCode.OTHERS_DELIVERED, "[B11] 其他平台已按期出具结果，延期申请不予准许 / other platforms delivered: extension refused")
    inquiry.extension_requested_at = now
    inquiry.save(update_fields=["extension_requested_at"])
    audit.record("valuation.extension_requested", inquiry, chain=valuation, actor=actor, data={"method": "network"})


def deadline_passed(valuation: Valuation, overdue: list[Inquiry], now: datetime) -> str | None:
    """B11, decided once every platform's deadline has passed: conclude with the results delivered on time, give the
    platforms that asked 3 more days when nobody delivered, or fail (→ appraisal)."""
    if valuation.inquiries.filter(status=IStatus.PENDING, deadline__gte=now).exists():
        return None
    delivered = valuation.inquiries.filter(status=IStatus.ANSWERED).count()
    askers = [i for i in overdue if i.extension_requested_at and not i.extensions_granted]
    outcome = rules.network_deadline_outcome(delivered, len(askers))
    if outcome == "extend":
        for inq in overdue:
            if inq in askers:
                old = inq.deadline
                inq.deadline = old + rules.NETWORK_EXTENSION
                inq.extensions_granted = 1
                inq.save(update_fields=["deadline", "extensions_granted"])
                audit.record("valuation.extension_granted", inq, chain=valuation, data={"from": old, "to": inq.deadline})
            else:
                sending.mark_missed(inq, valuation)
        return "extended"
    for inq in overdue:
        sending.mark_missed(inq, valuation, extension_refused=bool(inq.extension_requested_at))
    if outcome == "conclude":
        lifecycle.recompute_network(valuation)
        return "concluded"
    lifecycle.fail(valuation, "[B11] 全部平台均未在期限内出具结果 / every platform missed the deadline")
    return "failed"


def corrections_missed(valuation: Valuation, now: datetime) -> int:
    """B12: a requested correction not delivered within 3 days sets that result aside (and the price is recomputed)."""
    missed = list(locks.inquiries_of(valuation).filter(status=IStatus.ANSWERED, correction_due__lt=now))
    for inquiry in missed:
        reference.exclude(inquiry, valuation, "[B12] 未在三日内补正 / not corrected within 3 days")
    if missed and valuation.status == VStatus.CONCLUDED:
        lifecycle.recompute_network(valuation)
    return len(missed)
