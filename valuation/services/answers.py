"""What the organisations do: answer an inquiry (or correct the answer, B12) and ask for more time (B11, B19)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from valuation import rules, selectors
from valuation.access import ensure_valuer_of
from valuation.models import Inquiry, Method, Organisation, Quote, Valuation
from valuation.services import appraisal, lifecycle, locks, network, reference
from valuation.services.refusals import refuse
from valuation.services.reports import check_report_key

VStatus = Valuation.Status
IStatus = Inquiry.Status


def submit_quote(actor: Any, /, *, inquiry: Inquiry, price: int, valid_until: datetime, report_key: str = "", via_token: bool = False, basis: dict | None = None) -> Quote:
    """A valuer (or an HTTP provider with the inquiry's token) answers, or corrects its answer (B12)."""
    with transaction.atomic():
        valuation = locks.valuation(inquiry.valuation_id)
        inquiry = locks.inquiry(inquiry.pk)
        if not via_token:
            ensure_valuer_of(actor, inquiry)
        refuse(rules.check_price(price))
        now = clock.now()
        refuse(rules.check_quote_validity(valid_until, now))
        report_size = 0
        if report_key:
            report_size = check_report_key(inquiry, report_key)
        elif inquiry.organisation.provider == Organisation.Provider.PORTAL:
            raise DomainError(ErrorCode.REPORT_REQUIRED, "须上传 PDF 格式的询价/评估报告 / a PDF report is required", field="report")
        corrects = None
        if inquiry.status == IStatus.PENDING:
            if valuation.status != VStatus.OPEN:
                raise Conflict(ErrorCode.VALUATION_CLOSED, "该估价已结束 / this valuation is over")
            if inquiry.deadline is None or now > inquiry.deadline:
                raise Conflict(ErrorCode.DEADLINE_PASSED, "[B11/B19] 已超过答复期限 / the deadline has passed")
        elif inquiry.status == IStatus.ANSWERED and valuation.method == Method.NETWORK and valuation.status in (VStatus.OPEN, VStatus.CONCLUDED):
            corrects = selectors.current_quote(inquiry)
            first = inquiry.quotes.order_by("submitted_at", "id").first()
            due = inquiry.correction_due or rules.correction_deadline(first.submitted_at, None)
            if now > due:
                raise Conflict(ErrorCode.CORRECTION_TOO_LATE, "[B12] 补正须在三日内提出 / corrections within 3 days")
        else:
            raise Conflict(ErrorCode.INQUIRY_CLOSED, "该询价已不能答复 / this inquiry can no longer be answered")
        quote = Quote.objects.create(inquiry=inquiry, price=price, valid_until=valid_until, report_key=report_key, report_size=report_size,
                                     source=Quote.Source.HTTP if via_token else Quote.Source.PORTAL, corrects=corrects, submitted_at=now,
                                     submitted_by=actor if not via_token else None, basis=basis or {})
        audit.record("valuation.quote_corrected" if corrects else "valuation.quote_submitted", quote, chain=valuation, actor=actor, data={
            "inquiry": inquiry.pk, "organisation": inquiry.organisation.code, "price": price, "valid_until": valid_until,
            "report_key": report_key, "corrects": corrects.pk if corrects else None})
        if corrects is not None:
            inquiry.correction_due = None
            inquiry.save(update_fields=["correction_due"])
            if valuation.status == VStatus.CONCLUDED:
                lifecycle.recompute_network(valuation, actor=actor)
            return quote
        inquiry.status = IStatus.ANSWERED
        inquiry.save(update_fields=["status"])
        if valuation.method == Method.NETWORK:
            lifecycle.settle_network(valuation)
        else:
            reference.conclude_single(valuation, quote, actor=actor)
    return quote


def request_extension(actor: Any, /, *, inquiry: Inquiry, days: int | None = None, via_token: bool = False) -> Inquiry:
    """Network (B11): ask before the deadline; decided at the deadline (granted only if ALL platforms missed).
    Appraisal (B19): granted now if asked ≥5 days before the deadline, ≤15 days, at most twice."""
    with transaction.atomic():
        valuation = locks.valuation(inquiry.valuation_id)
        inquiry = locks.inquiry(inquiry.pk)
        if not via_token:
            ensure_valuer_of(actor, inquiry)
        now = clock.now()
        if valuation.status != VStatus.OPEN or inquiry.status != IStatus.PENDING or inquiry.deadline is None or now > inquiry.deadline:
            raise Conflict(ErrorCode.INQUIRY_CLOSED, "该询价已不能申请延期 / no extension can be asked on this inquiry")
        if valuation.method == Method.NETWORK:
            network.ask_extension(valuation, inquiry, now, actor=actor)
        elif valuation.method == Method.APPRAISAL:
            appraisal.extend(valuation, inquiry, now, days=days, actor=actor)
        else:
            raise Conflict(ErrorCode.NO_EXTENSION, "定向询价的期限由法院确定 / the court sets the directed-inquiry deadline")
    return inquiry
