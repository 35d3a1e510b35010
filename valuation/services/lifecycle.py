"""A valuation's life by the B2 order: started by the judge in one method, concluded, or failed and followed by the
next method (negotiated → directed, when a tax base / government price is named → network → appraisal).

At most one valuation of a lot is open at a time (B2: one method at a time). The database keeps that
(``valuation_one_open_per_lot``), so starting one locks nothing but the new row: no lot, case or court row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, ErrorCode
from lots.access import ensure_judge_of
from lots.models import CaseParty, Lot, Round
from valuation import rules
from valuation.models import Inquiry, Method, Organisation, Valuation
from valuation.services import notices, reference, sending

Kind = Organisation.Kind
VStatus = Valuation.Status
IStatus = Inquiry.Status

MAX_NEGOTIATION_PERIOD = timedelta(days=30)  # B1: the price is fixed within 30 days of seizure
# A lot whose round is in these states is being auctioned or is sold: it is not valued again.
BUSY_ROUND_STATUSES = [Round.Status.ANNOUNCED, Round.Status.OPEN, Round.Status.SUSPENDED, Round.Status.CLOSED, Round.Status.SOLD,
                       Round.Status.PAID, Round.Status.SETTLED]
ONE_OPEN = "valuation_one_open_per_lot"


def _open_refused() -> Conflict:
    return Conflict(ErrorCode.VALUATION_OPEN, "该标的已有进行中的估价 / this lot already has a valuation in progress")


@contextmanager
def _one_open_per_lot() -> Iterator[None]:
    """Saving an open valuation: a savepoint, so that a lot that already has one is a clean refusal (not a broken
    transaction) — also when another transaction opened one a moment ago."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if ONE_OPEN not in str(exc):
            raise
        raise _open_refused() from exc


def start_valuation(judge: Any, /, *, lot: Lot, method: str, deadline: datetime | None = None, agency: str | None = None, price_basis: str = "", institutions: list[str] | None = None, fallback_agency: str | None = None, fallback_basis: str = "", draw_at: datetime | None = None, court_commitment: str | None = None) -> Valuation:
    """The judge orders a valuation of the lot by one method (B2); an appraisal by lottery publishes its draw (B16):
    `draw_at` (default one day on) and the court's commitment (made and held by the platform when not given)."""
    with transaction.atomic():
        lot = Lot.objects.select_related("case__court").get(pk=lot.pk)
        ensure_judge_of(judge, lot)
        if method not in rules.METHOD_ORDER:
            raise DomainError(ErrorCode.INVALID_METHOD, "估价方式须为 negotiated、directed、network 或 appraisal / unknown method")
        if Valuation.objects.filter(lot=lot, status=VStatus.OPEN).exists():
            raise _open_refused()
        if lot.rounds.filter(status__in=BUSY_ROUND_STATUSES).exists():
            raise Conflict(ErrorCode.LOT_IN_AUCTION, "标的正在拍卖或已成交，不能重新估价 / the lot is being auctioned or is sold")
        now = clock.now()
        valuation = Valuation(lot=lot, method=method, started_by=judge, started_at=now)
        agency_org = None
        if method in (Method.NEGOTIATED, Method.DIRECTED):
            if deadline is None or deadline <= now:
                raise DomainError(ErrorCode.DEADLINE_REQUIRED, "须设定晚于当前时间的期限 / set a deadline in the future", field="deadline")
            if deadline > now + MAX_NEGOTIATION_PERIOD:
                raise DomainError(ErrorCode.DEADLINE_TOO_FAR, "[B1] 期限不得超过三十日 / at most 30 days", field="deadline")
            valuation.deadline = deadline
        if method == Method.NEGOTIATED:
            _check_negotiable(lot)
            if fallback_agency:
                valuation.fallback_agency = sending.organisation(fallback_agency, Kind.AGENCY)
                valuation.fallback_basis = _basis(fallback_basis)
        if method == Method.DIRECTED:
            valuation.price_basis = _basis(price_basis)
            agency_org = sending.organisation(agency or "", Kind.AGENCY)
        with _one_open_per_lot():
            valuation.save()
        audit.record("valuation.started", valuation, chain=valuation, actor=judge, data={
            "lot": lot.pk, "method": method, "deadline": valuation.deadline, "price_basis": valuation.price_basis})
        _open(valuation, agency=agency_org, institutions=institutions, draw_at=draw_at, court_commitment=court_commitment)
    return valuation


def _basis(value: str) -> str:
    if value not in Valuation.PriceBasis.values:
        raise DomainError(ErrorCode.PRICE_BASIS_REQUIRED,
                          "[B5] 定向询价仅适用于有计税基准价或政府定价的财产：price_basis 须为 tax_base 或 government", field="price_basis")
    return value


def _check_negotiable(lot: Lot) -> None:
    sides = set(CaseParty.objects.filter(case_id=lot.case_id, user__isnull=False).values_list("side", flat=True))
    if sides != {CaseParty.Side.APPLICANT, CaseParty.Side.RESPONDENT}:
        raise DomainError(ErrorCode.PARTIES_MISSING,
                          "[B4] 议价须申请执行人与被执行人均有平台账户 / both the applicant and the debtor need an account to negotiate")


def _open(valuation: Valuation, *, agency: Organisation | None = None, institutions: list[str] | None = None,
          draw_at: datetime | None = None, court_commitment: str | None = None) -> None:
    """Set the method going: ask the parties (B4), the agency (B5), every platform (B10) or the institutions (B16)."""
    if valuation.method == Method.NEGOTIATED:
        notices.notify_parties(valuation, "negotiation", f"请提交议价：{valuation.lot.title}",
                               f"法院已启动当事人议价（B4），请于 {notices.local_time(valuation.deadline)} 前在“我的案件”中提交价格。")
    elif valuation.method == Method.DIRECTED:
        sending.send(valuation, agency, position=1, deadline=valuation.deadline)
    elif valuation.method == Method.NETWORK:
        sending.open_network(valuation)
        settle_network(valuation)  # the built-in model answers at once; if every platform abstained, it is over
    else:
        sending.open_appraisal(valuation, institutions, draw_at=draw_at, court_commitment=court_commitment)


def settle_network(valuation: Valuation) -> None:
    """A network inquiry concludes as soon as no platform is still expected (everyone answered or abstained)."""
    if valuation.status != VStatus.OPEN or valuation.inquiries.filter(status=IStatus.PENDING).exists():
        return
    if valuation.inquiries.filter(status=IStatus.ANSWERED).exists():
        recompute_network(valuation)
    else:
        fail(valuation, "[B11] 全部平台均未出具结果 / no platform delivered a result")


def recompute_network(valuation: Valuation, *, actor: Any = None) -> None:
    """B13: (re)fix the average of the results that count; with none left the network inquiry has failed."""
    if not reference.network_average(valuation, actor=actor):
        fail(valuation, "[B13] 全部询价结果均不予采用 / every result was set aside", actor=actor)


def fail(valuation: Valuation, reason: str, *, actor: Any = None) -> Valuation | None:
    """The method did not succeed: record why and start the next method where B2 says so (returned, if any)."""
    valuation.status = VStatus.FAILED
    valuation.failure_reason = reason[:300]
    valuation.ended_at = clock.now()
    valuation.save(update_fields=["status", "failure_reason", "ended_at"])
    cancelled = list(valuation.inquiries.filter(status__in=[IStatus.PENDING, IStatus.QUEUED]).values_list("pk", flat=True))
    valuation.inquiries.filter(pk__in=cancelled).update(status=IStatus.CANCELLED)
    audit.record("valuation.failed", valuation, chain=valuation, actor=actor, data={"reason": reason, "inquiries_cancelled": cancelled})
    nxt = _fall_through(valuation)
    notices.notify_parties(valuation, "failed", f"估价未成：{valuation.lot.title}",
                           f"{notices.describe(valuation)} 未成（{reason}）。" + (f"已转入{nxt.get_method_display()}。" if nxt else "请等待法院决定。"))
    return nxt


def _fall_through(valuation: Valuation) -> Valuation | None:
    """B2: negotiated → directed (when the property has a tax base / government price) → network → appraisal. Nothing
    is started when the judge already started another valuation of the lot."""
    nxt = Valuation(lot=valuation.lot, previous=valuation, started_at=clock.now())
    if valuation.method == Method.NEGOTIATED and valuation.fallback_agency_id:
        nxt.method = Method.DIRECTED
        nxt.price_basis = valuation.fallback_basis
        nxt.deadline = nxt.started_at + (valuation.deadline - valuation.started_at)
    elif valuation.method in (Method.NEGOTIATED, Method.DIRECTED):
        nxt.method = Method.NETWORK
    elif valuation.method == Method.NETWORK:
        nxt.method = Method.APPRAISAL
    else:
        return None  # appraisal exhausted: the judge decides
    if not _next_method_possible(nxt.method):
        return None
    try:
        with _one_open_per_lot():
            nxt.save()
    except Conflict:
        return None
    audit.record("valuation.started", nxt, chain=nxt, data={"lot": nxt.lot_id, "method": nxt.method, "after": valuation.pk,
                                                            "deadline": nxt.deadline})
    _open(nxt, agency=valuation.fallback_agency if nxt.method == Method.DIRECTED else None)
    return nxt


def reopen(valuation: Valuation, *, actor: Any = None) -> bool:
    """A concluded valuation is open again (an upheld objection to an appraisal); False when the lot meanwhile has
    another open valuation, which then stands."""
    valuation.status = VStatus.OPEN
    valuation.reference_price = None
    valuation.valid_until = None
    valuation.ended_at = None
    valuation.delivered_at = None
    try:
        with _one_open_per_lot():
            valuation.save(update_fields=["status", "reference_price", "valid_until", "ended_at", "delivered_at"])
    except Conflict:
        valuation.refresh_from_db()
        return False
    reference.apply_reference_price(valuation, actor=actor)
    audit.record("valuation.reopened", valuation, chain=valuation, actor=actor, data={})
    return True


def _next_method_possible(method: str) -> bool:
    kind = {Method.NETWORK: Kind.INQUIRY_PLATFORM, Method.APPRAISAL: Kind.APPRAISAL_INSTITUTION}.get(method)
    return kind is None or Organisation.objects.filter(kind=kind, active=True).exists()
