"""Objections (B22–B24): a party objects to a delivered result within 5 days on the listed grounds (none against a
negotiated or directed price); the judge upholds it (the result is set aside: B13 average without it, or the next
institution appraises) or dismisses it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from lots.access import ensure_judge_of
from valuation import rules
from valuation.access import ensure_party
from valuation.models import Inquiry, Method, Objection, Valuation
from valuation.services import appraisal, lifecycle, locks, notices, reference
from valuation.services.refusals import refuse

VStatus = Valuation.Status
IStatus = Inquiry.Status


def file_objection(user: Any, /, *, valuation: Valuation, ground: str, reason: str, inquiry: Inquiry | None = None) -> Objection:
    """B22: a party objects within 5 days of receipt on the listed grounds; B24: not to negotiated/directed prices."""
    with transaction.atomic():
        valuation = locks.valuation(valuation.pk)
        party = ensure_party(user, valuation)
        reason = (reason or "").strip()
        if not reason:
            raise DomainError(ErrorCode.REASON_REQUIRED, "[B22] 须说明异议理由 / state the reason", field="reason")
        refuse(rules.check_objection(valuation.method, ground, valuation.delivered_at, clock.now()))
        if valuation.status != VStatus.CONCLUDED:
            raise Conflict(ErrorCode.NO_RESULT, "该估价没有可异议的结果 / there is no result to object to")
        if valuation.method == Method.NETWORK:
            if inquiry is None or inquiry.valuation_id != valuation.pk or inquiry.status != IStatus.ANSWERED:
                raise DomainError(ErrorCode.INQUIRY_REQUIRED, "[B22] 须指明异议针对的询价平台结果 / name the platform result objected to", field="inquiry")
        else:
            inquiry = valuation.inquiries.filter(status=IStatus.ANSWERED).first()
        objection = Objection.objects.create(valuation=valuation, inquiry=inquiry, party=party, filed_by=user, ground=ground,
                                             reason=reason[:4000], filed_at=clock.now())
        audit.record("valuation.objection_filed", objection, chain=valuation, actor=user, data={
            "valuation": valuation.pk, "inquiry": inquiry.pk if inquiry else None, "ground": ground})
    return objection


def decide_objection(judge: Any, /, *, objection: Objection, upheld: bool, note: str = "") -> Objection:
    """The judge upholds (result excluded: B13 network average without it; appraisal: next institution) or dismisses."""
    with transaction.atomic():
        valuation = locks.valuation(objection.valuation_id)
        ensure_judge_of(judge, valuation.lot)
        inquiry = locks.inquiry(objection.inquiry_id) if objection.inquiry_id else None  # lock order: inquiry, then objection
        objection = locks.objection(objection.pk)
        if objection.status != Objection.Status.PENDING:
            raise Conflict(ErrorCode.ALREADY_DECIDED, "该异议已审查 / this objection is already decided")
        objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        objection.decided_at, objection.decided_by, objection.decision_note = clock.now(), judge, (note or "")[:4000]
        objection.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit.record("valuation.objection_decided", objection, chain=valuation, actor=judge, data={"upheld": upheld, "note": note})
        notices.notify(objection.filed_by, valuation, "objection", "异议审查结果",
                       f"您对{notices.describe(valuation)}的异议{'成立' if upheld else '被驳回'}。{note}")
        if upheld and inquiry is not None and inquiry.status == IStatus.ANSWERED and valuation.status == VStatus.CONCLUDED:
            reference.exclude(inquiry, valuation, f"异议成立（异议#{objection.pk}）", actor=judge)
            if valuation.method == Method.NETWORK:
                lifecycle.recompute_network(valuation, actor=judge)
            else:
                appraisal.restart(valuation, actor=judge)
    return objection
