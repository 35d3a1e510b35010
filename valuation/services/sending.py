"""Sending inquiries to organisations: the network inquiry to every platform (B10), the appraisal to its institutions
in order (B16, B19), a directed inquiry to its agency; and how each kind of organisation is reached (the built-in
model answers at once, an HTTP platform through the outbox, a portal organisation's valuers by a notice).

Everything here runs inside the caller's transaction with the valuation locked; nothing here concludes or fails a
valuation (services/lifecycle.py does, from what these leave behind).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from avm import service as avm_service
from valuation import rules
from valuation.models import Inquiry, Method, Organisation, Quote, Valuation
from valuation.services import locks, lottery, notices, outbox

logger = logging.getLogger("valuation")

Kind = Organisation.Kind
Provider = Organisation.Provider
IStatus = Inquiry.Status

# How long the built-in model's result is valid (a platform choice within B27's one-year ceiling).
AVM_VALIDITY = timedelta(days=180)


def organisation(code: str, kind: str) -> Organisation:
    """The active organisation of this kind with this code, or a 400 naming the field."""
    org = Organisation.objects.filter(code=code, kind=kind, active=True).first()
    if org is None:
        raise DomainError(ErrorCode.UNKNOWN_ORGANISATION, f"机构 {code!r} 不存在或未启用 / no active {kind} with this code", field="organisation")
    return org


def send(valuation: Valuation, org: Organisation, *, position: int, deadline: datetime | timedelta | None,
         queued: bool = False) -> Inquiry:
    """Send (or queue) an inquiry; `deadline` is a datetime set by the judge, or a legal period from the moment it is sent."""
    if queued:
        sent_at = None
    elif valuation.method == Method.NETWORK:
        sent_at = valuation.started_at  # B10: all platforms at once
    else:
        sent_at = clock.now()
    if isinstance(deadline, timedelta):
        deadline = sent_at + deadline if sent_at else None
    inquiry = Inquiry.objects.create(
        valuation=valuation, organisation=org, position=position, token=secrets.token_urlsafe(32),
        status=IStatus.QUEUED if queued else IStatus.PENDING, sent_at=sent_at, deadline=None if queued else deadline)
    if not queued:
        _reach(inquiry, valuation)
    return inquiry


def _reach(inquiry: Inquiry, valuation: Valuation) -> None:
    audit.record("valuation.inquiry_sent", inquiry, chain=valuation, data={
        "valuation": valuation.pk, "organisation": inquiry.organisation.code, "deadline": inquiry.deadline})
    provider = inquiry.organisation.provider
    if provider == Provider.BUILTIN_AVM:
        _answer_with_avm(inquiry, valuation)
    elif provider == Provider.HTTP:
        outbox.enqueue_inquiry(inquiry)  # POSTed after commit: no lock is held while the platform answers
    else:
        notices.notify_valuers(inquiry, valuation, "inquiry", f"新询价：{valuation.lot.title}",
                               f"请于 {notices.local_time(inquiry.deadline)} 前在询价收件箱答复。")


def _answer_with_avm(inquiry: Inquiry, valuation: Valuation) -> None:
    """The built-in model is a registered platform that answers at once (or abstains)."""
    try:
        result = avm_service.quote(valuation.lot)
    except Exception as exc:  # a broken model must not stop the inquiry to the other platforms
        logger.warning("built-in model failed on inquiry %s: %s", inquiry.pk, exc)
        result = None
    price = getattr(result, "price", None)
    if result is None or rules.check_price(price) is not None:
        inquiry.status = IStatus.ABSTAINED
        inquiry.save(update_fields=["status"])
        audit.record("valuation.inquiry_abstained", inquiry, chain=valuation, data={"organisation": inquiry.organisation.code})
        return
    now = clock.now()
    comparables = list(getattr(result, "comparables", []) or [])[:20]
    quote = Quote.objects.create(
        inquiry=inquiry, price=price, valid_until=now + AVM_VALIDITY, source=Quote.Source.BUILTIN_AVM, submitted_at=now,
        basis={"low": getattr(result, "low", None), "high": getattr(result, "high", None), "n": getattr(result, "n", None),
               "comparables": json.loads(json.dumps(comparables, default=str))})
    inquiry.status = IStatus.ANSWERED
    inquiry.save(update_fields=["status"])
    audit.record("valuation.quote_submitted", quote, chain=valuation, data={"inquiry": inquiry.pk, "price": price, "source": "builtin_avm"})


def open_network(valuation: Valuation) -> None:
    """B10: sent to ALL registered platforms at once; B11: each answers within 3 days."""
    platforms = list(Organisation.objects.filter(kind=Kind.INQUIRY_PLATFORM, active=True).order_by("code"))
    if not platforms:
        raise Conflict(ErrorCode.NO_PLATFORMS, "[B10] 没有已登记的司法网络询价平台 / no inquiry platform is registered")
    for i, org in enumerate(platforms, start=1):
        send(valuation, org, position=i, deadline=rules.NETWORK_DEADLINE)


def open_appraisal(valuation: Valuation, institutions: list[str] | None, *, draw_at: datetime | None = None,
                   court_commitment: str | None = None) -> None:
    """B16: three institutions agreed by the parties, in their order, are sent at once; otherwise a commit-reveal
    lottery from the list is published, and the institutions are sent when it is drawn (`send_drawn`)."""
    if institutions:
        codes = list(institutions)
        if len(codes) != rules.APPRAISAL_INSTITUTIONS or len(set(codes)) != len(codes):
            raise DomainError(ErrorCode.INSTITUTIONS_INVALID, "[B16] 当事人须协商确定三家不同的评估机构及顺序 / agree on three different institutions")
        orgs = [organisation(c, Kind.APPRAISAL_INSTITUTION) for c in codes]
        valuation.institutions_agreed = True
        valuation.save(update_fields=["institutions_agreed"])
        send_institutions(valuation, orgs)
        return
    candidates = sorted(Organisation.objects.filter(kind=Kind.APPRAISAL_INSTITUTION, active=True).values_list("code", flat=True))
    if not candidates:
        raise Conflict(ErrorCode.NO_INSTITUTIONS, "[B16] 名单库中没有评估机构 / no appraisal institution on the list")
    lottery.open_draw(valuation, candidates, draw_at=draw_at, court_commitment=court_commitment)


def send_drawn(valuation: Valuation, now: datetime) -> list[str]:
    """B16: run the lottery once it is due and send its institutions in the drawn order (the valuation is locked)."""
    draw = valuation.lottery
    already = draw.drawn_at is not None
    picks = lottery.run(draw, now)
    if not already:
        by_code = {o.code: o for o in Organisation.objects.filter(code__in=picks)}
        send_institutions(valuation, [by_code[c] for c in picks])
    return picks


def send_institutions(valuation: Valuation, orgs: list[Organisation]) -> None:
    """The first is sent the inquiry (30 days, B19), the others wait their turn."""
    for i, org in enumerate(orgs, start=1):
        send(valuation, org, position=i, deadline=rules.APPRAISAL_DEADLINE if i == 1 else None, queued=i > 1)


def send_next_institution(valuation: Valuation) -> bool:
    """B19: the next institution in order appraises (30 days from now); False when none is left."""
    nxt = locks.inquiries_of(valuation).filter(status=IStatus.QUEUED).select_related("organisation").order_by("position").first()
    if nxt is None:
        return False
    nxt.status = IStatus.PENDING
    nxt.sent_at = clock.now()  # one reading of the clock for both
    nxt.deadline = nxt.sent_at + rules.APPRAISAL_DEADLINE
    nxt.save(update_fields=["status", "sent_at", "deadline"])
    _reach(nxt, valuation)
    return True


def mark_missed(inquiry: Inquiry, valuation: Valuation, **data) -> None:
    """The organisation did not answer by the deadline."""
    inquiry.status = IStatus.MISSED
    inquiry.save(update_fields=["status"])
    audit.record("valuation.inquiry_missed", inquiry, chain=valuation, data={"deadline": inquiry.deadline, **data})
