"""Every write of the valuation app (issue 3). One function per use case, each transactional and audited.

Public interface (names are stable; other apps call these):

- ``join_organisation(user, organisation_code) -> Valuer``                 (accounts' create_account calls it)
- ``start_valuation(judge, lot, *, method, deadline=None, agency=None, price_basis="", institutions=None,
  fallback_agency=None, fallback_basis="") -> Valuation``                   (B2, B4–B20)
- ``submit_offer(user, valuation, *, price) -> PartyOffer``                (B4)
- ``store_report(actor, inquiry, uploaded_file) -> (key, size)``           (PDF only)
- ``submit_quote(inquiry, *, price, valid_until, report_key="", actor=None, via_token=False) -> Quote``
- ``request_extension(inquiry, *, actor=None, days=None) -> Inquiry``      (B11 network, B19 appraisal)
- ``request_correction(judge, inquiry, *, reason) -> Inquiry``             (B12)
- ``file_objection(user, valuation, *, ground, reason, inquiry=None) -> Objection``   (B22, B24)
- ``decide_objection(judge, objection, *, upheld, note="") -> Objection``  (B22; upheld: B13 / next institution)
- ``award_network_fee(round) -> FeeAward | None``                          (B31)
- ``replay_lottery(valuation) -> dict``                                     (B16)
- ``process_deadlines(now) -> dict``                                        (clockwork)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import Role
from auction_site import audit, clock
from auction_site.errors import Conflict, DomainError, Forbidden, NotFound
from auction_site.money import yuan
from avm import service as avm_service
from lots import access as lot_access
from lots.models import CaseParty, Lot, Round
from lots.services import set_reference_price
from valuation import rules
from valuation.models import (
    FeeAward,
    Inquiry,
    Lottery,
    Method,
    Notification,
    Objection,
    Organisation,
    PartyOffer,
    Quote,
    Valuation,
    Valuer,
)

logger = logging.getLogger("valuation")

Kind = Organisation.Kind
Provider = Organisation.Provider
VStatus = Valuation.Status
IStatus = Inquiry.Status

# How long the built-in model's result is valid (a platform choice within B27's one-year ceiling).
AVM_VALIDITY = timedelta(days=180)
HTTP_DISPATCH_TIMEOUT = 5  # seconds
HTTP_DISPATCH_MAX_ATTEMPTS = 10
EMAIL_MAX_ATTEMPTS = 5
REPORT_PREFIX = "valuation/reports"
MAX_NEGOTIATION_PERIOD = timedelta(days=30)  # B1: the price is fixed within 30 days of seizure


def _refuse(violation: rules.Violation | None, status: int = 400) -> None:
    if violation is not None:
        raise DomainError(violation.code, f"[{violation.article}] {violation.message}", status=status)


# ---------------------------------------------------------------------------------------------- access


def ensure_judge_of_lot(user, lot: Lot) -> None:
    lot_access.ensure_judge_of(user, lot)


def parties_of(user, case_id: int) -> list[CaseParty]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(CaseParty.objects.filter(case_id=case_id, user=user))


def ensure_can_view(user, valuation: Valuation) -> None:
    """The judge of the court and the case's parties see a valuation."""
    lot = valuation.lot
    if getattr(user, "is_judge", False) and user.court_id == lot.case.court_id:
        return
    if parties_of(user, lot.case_id):
        return
    raise Forbidden("仅本案法官与当事人可查看 / only the judge and the parties of the case may see this")


def valuer_organisation(user) -> Organisation:
    valuer = Valuer.objects.select_related("organisation").filter(user_id=getattr(user, "pk", None)).first()
    if valuer is None or not getattr(user, "is_authenticated", False):
        raise Forbidden("仅询价/评估机构人员可执行此操作 / only a valuer may do this", code="not_valuer")
    return valuer.organisation


def ensure_valuer_of(user, inquiry: Inquiry) -> Organisation:
    org = valuer_organisation(user)
    if inquiry.organisation_id != org.pk:
        raise Forbidden("该询价不是发给您的机构的 / this inquiry was sent to another organisation", code="other_organisation")
    return org


# --------------------------------------------------------------------------------------- organisations


def join_organisation(user, organisation_code: str) -> Valuer:
    """Make `user` a valuer account of the organisation with this code (role becomes valuer)."""
    with transaction.atomic():
        org = Organisation.objects.filter(code=organisation_code).first()
        if org is None:
            raise NotFound(f"机构代码不存在 / no organisation with code {organisation_code!r}")
        valuer, created = Valuer.objects.select_for_update().get_or_create(
            user=user, defaults={"organisation": org, "joined_at": clock.now()})
        if not created and valuer.organisation_id != org.pk:
            valuer.organisation = org
            valuer.joined_at = clock.now()
            valuer.save(update_fields=["organisation", "joined_at"])
        if user.role != Role.VALUER:
            user.role = Role.VALUER
            user.save(update_fields=["role"])
        audit.record("valuation.valuer_joined", valuer, data={"user": user.username, "organisation": org.code})
    return valuer


# ------------------------------------------------------------------------------------- reference price


def _describe(valuation: Valuation, n: int | None = None) -> str:
    label = {
        Method.NEGOTIATED: "当事人议价",
        Method.DIRECTED: "定向询价",
        Method.NETWORK: f"网络询价（{n}家平台结果平均值）" if n else "网络询价",
        Method.APPRAISAL: "委托评估",
    }[valuation.method]
    return f"{label} · 估价#{valuation.pk}"


def _apply_reference_price(valuation: Valuation, *, actor=None, n: int | None = None) -> None:
    """The one place a valuation's outcome becomes (or stops being) the lot's reference price."""
    if valuation.reference_price is not None:
        set_reference_price(valuation.lot, amount=valuation.reference_price, source=_describe(valuation, n),
                            fixed_at=valuation.fixed_at, valid_until=valuation.valid_until, actor=actor)
        return
    # The result was set aside (all results excluded): the lot has no usable reference price until a new one is fixed.
    lot = Lot.objects.select_for_update().get(pk=valuation.lot_id)
    if lot.reference_price_source.endswith(f"估价#{valuation.pk}"):
        Lot.objects.filter(pk=lot.pk).update(reference_price=None, reference_price_source="", reference_price_fixed_at=None,
                                             reference_price_valid_until=None)
        audit.record("lot.reference_price_cleared", lot, actor=actor, data={"valuation": valuation.pk})


# ------------------------------------------------------------------------------------------ notifications


def _notify(user, valuation: Valuation | None, kind: str, subject: str, body: str) -> Notification:
    note = Notification.objects.create(user=user, valuation=valuation, kind=kind, subject=subject, body=body, created_at=clock.now())
    transaction.on_commit(lambda: send_notification_email(note.pk))
    return note


def send_notification_email(notification_id: int) -> bool:
    """Send one notification by e-mail (Django's mail backend); retried by the clock within B21's 3 days."""
    with transaction.atomic():
        note = Notification.objects.select_for_update(skip_locked=True).select_related("user").filter(
            pk=notification_id, emailed_at__isnull=True).first()
        if note is None or not note.user.email:
            return False
        note.email_attempts += 1
        try:
            send_mail(note.subject, note.body, None, [note.user.email])
        except Exception as exc:  # the mail server being down must not lose the notice
            logger.warning("e-mail of notification %s failed: %s", note.pk, exc)
            note.save(update_fields=["email_attempts"])
            return False
        note.emailed_at = clock.now()
        note.save(update_fields=["email_attempts", "emailed_at"])
    return True


def mark_notifications_read(user) -> int:
    """The user has seen their notices (the parties' page)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


def _notify_parties(valuation: Valuation, kind: str, subject: str, body: str) -> None:
    for party in CaseParty.objects.filter(case_id=valuation.lot.case_id, user__isnull=False).select_related("user"):
        _notify(party.user, valuation, kind, subject, body)


def _notify_valuers(inquiry: Inquiry, kind: str, subject: str, body: str) -> None:
    for valuer in Valuer.objects.filter(organisation_id=inquiry.organisation_id).select_related("user"):
        _notify(valuer.user, inquiry.valuation, kind, subject, body)


def _deliver(valuation: Valuation) -> None:
    """B21: the result reaches the parties (in-site notice now, e-mail on commit / by the clock)."""
    valuation.delivered_at = clock.now()
    valuation.save(update_fields=["delivered_at"])
    objection = "；可在收到之日起五日内提出异议" if valuation.method in rules.OBJECTIONABLE_METHODS else ""
    _notify_parties(valuation, "result", f"参考价已确定：{valuation.lot.title}",
                    f"{_describe(valuation)}：参考价 {yuan(valuation.reference_price)} 元，有效期至 "
                    f"{clock_local(valuation.valid_until)}{objection}。")
    audit.record("valuation.delivered", valuation, data={"delivered_at": valuation.delivered_at})


def clock_local(at: datetime | None) -> str:
    from django.utils import timezone

    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


# --------------------------------------------------------------------------------------------- starting


def _lock_valuation(valuation_id: int) -> Valuation:
    try:
        return Valuation.objects.select_for_update().select_related("lot__case__court").get(pk=valuation_id)
    except Valuation.DoesNotExist:
        raise NotFound("估价不存在 / no such valuation")


def start_valuation(judge, lot: Lot, *, method: str, deadline: datetime | None = None, agency: str | None = None,
                    price_basis: str = "", institutions: list[str] | None = None, fallback_agency: str | None = None,
                    fallback_basis: str = "") -> Valuation:
    """The judge orders a valuation of the lot by one method (B2)."""
    with transaction.atomic():
        lot = Lot.objects.select_for_update().select_related("case__court").get(pk=lot.pk)
        ensure_judge_of_lot(judge, lot)
        if method not in rules.METHOD_ORDER:
            raise DomainError("invalid_method", "估价方式须为 negotiated、directed、network 或 appraisal / unknown method")
        if Valuation.objects.filter(lot=lot, status=VStatus.OPEN).exists():
            raise Conflict("valuation_open", "该标的已有进行中的估价 / this lot already has a valuation in progress")
        busy = [Round.Status.ANNOUNCED, Round.Status.OPEN, Round.Status.SUSPENDED, Round.Status.CLOSED, Round.Status.SOLD,
                Round.Status.PAID, Round.Status.SETTLED]
        if lot.rounds.filter(status__in=busy).exists():
            raise Conflict("lot_in_auction", "标的正在拍卖或已成交，不能重新估价 / the lot is being auctioned or is sold")
        now = clock.now()
        valuation = Valuation(lot=lot, method=method, started_by=judge, started_at=now)
        if method in (Method.NEGOTIATED, Method.DIRECTED):
            if deadline is None or deadline <= now:
                raise DomainError("deadline_required", "须设定晚于当前时间的期限 / set a deadline in the future", field="deadline")
            if deadline > now + MAX_NEGOTIATION_PERIOD:
                raise DomainError("deadline_too_far", "[B1] 期限不得超过三十日 / at most 30 days", field="deadline")
            valuation.deadline = deadline
        if method == Method.NEGOTIATED:
            _check_negotiable(lot)
            if fallback_agency:
                valuation.fallback_agency = _organisation(fallback_agency, Kind.AGENCY)
                valuation.fallback_basis = _basis(fallback_basis)
        if method == Method.DIRECTED:
            valuation.price_basis = _basis(price_basis)
            org = _organisation(agency or "", Kind.AGENCY)
        valuation.save()
        audit.record("valuation.started", valuation, actor=judge, data={
            "lot": lot.pk, "method": method, "deadline": valuation.deadline, "price_basis": valuation.price_basis})
        if method == Method.NEGOTIATED:
            _notify_parties(valuation, "negotiation", f"请提交议价：{lot.title}",
                            f"法院已启动当事人议价（B4），请于 {clock_local(deadline)} 前在“我的案件”中提交价格。")
        elif method == Method.DIRECTED:
            _send(valuation, org, position=1, deadline=valuation.deadline)
        elif method == Method.NETWORK:
            _open_network(valuation)
        else:
            _open_appraisal(valuation, institutions)
    return valuation


def _basis(value: str) -> str:
    if value not in Valuation.PriceBasis.values:
        raise DomainError("price_basis_required",
                          "[B5] 定向询价仅适用于有计税基准价或政府定价的财产：price_basis 须为 tax_base 或 government", field="price_basis")
    return value


def _organisation(code: str, kind: str) -> Organisation:
    org = Organisation.objects.filter(code=code, kind=kind, active=True).first()
    if org is None:
        raise DomainError("unknown_organisation", f"机构 {code!r} 不存在或未启用 / no active {kind} with this code", field="organisation")
    return org


def _check_negotiable(lot: Lot) -> None:
    sides = set(CaseParty.objects.filter(case_id=lot.case_id, user__isnull=False).values_list("side", flat=True))
    if sides != {CaseParty.Side.APPLICANT, CaseParty.Side.RESPONDENT}:
        raise DomainError("parties_missing",
                          "[B4] 议价须申请执行人与被执行人均有平台账户 / both the applicant and the debtor need an account to negotiate")


def _send(valuation: Valuation, org: Organisation, *, position: int, deadline: datetime | timedelta | None, queued: bool = False) -> Inquiry:
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
        _dispatch_new(inquiry)
    return inquiry


def _dispatch_new(inquiry: Inquiry) -> None:
    audit.record("valuation.inquiry_sent", inquiry, data={
        "valuation": inquiry.valuation_id, "organisation": inquiry.organisation.code, "deadline": inquiry.deadline})
    org = inquiry.organisation
    if org.provider == Provider.BUILTIN_AVM:
        _answer_with_avm(inquiry)
    elif org.provider == Provider.HTTP:
        transaction.on_commit(lambda: dispatch_http(inquiry.pk))
    else:
        _notify_valuers(inquiry, "inquiry", f"新询价：{inquiry.valuation.lot.title}",
                        f"请于 {clock_local(inquiry.deadline)} 前在询价收件箱答复。")


def _open_network(valuation: Valuation) -> None:
    # B10: sent to ALL registered platforms at once; B11: each answers within 3 days.
    platforms = list(Organisation.objects.filter(kind=Kind.INQUIRY_PLATFORM, active=True).order_by("code"))
    if not platforms:
        raise Conflict("no_platforms", "[B10] 没有已登记的司法网络询价平台 / no inquiry platform is registered")
    for i, org in enumerate(platforms, start=1):
        _send(valuation, org, position=i, deadline=rules.NETWORK_DEADLINE)
    _maybe_settle_network(valuation, clock.now())


def _open_appraisal(valuation: Valuation, institutions: list[str] | None) -> None:
    # B16: three institutions agreed by the parties, in their order; otherwise a lottery from the list.
    if institutions:
        codes = list(institutions)
        if len(codes) != rules.APPRAISAL_INSTITUTIONS or len(set(codes)) != len(codes):
            raise DomainError("institutions_invalid", "[B16] 当事人须协商确定三家不同的评估机构及顺序 / agree on three different institutions")
        orgs = [_organisation(c, Kind.APPRAISAL_INSTITUTION) for c in codes]
        valuation.institutions_agreed = True
        valuation.save(update_fields=["institutions_agreed"])
    else:
        candidates = sorted(Organisation.objects.filter(kind=Kind.APPRAISAL_INSTITUTION, active=True).values_list("code", flat=True))
        if not candidates:
            raise Conflict("no_institutions", "[B16] 名单库中没有评估机构 / no appraisal institution on the list")
        seed = secrets.token_hex(16)
        picks = rules.draw_lottery(seed, candidates)
        lottery = Lottery.objects.create(valuation=valuation, seed=seed, candidates=candidates, picks=picks, drawn_at=clock.now())
        audit.record("valuation.lottery_drawn", lottery, data={"seed": seed, "candidates": candidates, "picks": picks})
        by_code = {o.code: o for o in Organisation.objects.filter(code__in=picks)}
        orgs = [by_code[c] for c in picks]
    for i, org in enumerate(orgs, start=1):
        _send(valuation, org, position=i, deadline=rules.APPRAISAL_DEADLINE if i == 1 else None, queued=i > 1)


def replay_lottery(valuation: Valuation) -> dict:
    """Anyone can replay a draw: the same seed over the same candidates picks the same institutions (B16)."""
    lottery = Lottery.objects.filter(valuation=valuation).first()
    if lottery is None:
        raise NotFound("该估价未摇号 / this valuation had no lottery")
    replayed = rules.draw_lottery(lottery.seed, lottery.candidates)
    return {"seed": lottery.seed, "candidates": lottery.candidates, "picks": lottery.picks, "replayed": replayed,
            "matches": replayed == lottery.picks}


# ---------------------------------------------------------------------------------- built-in model, HTTP


def _answer_with_avm(inquiry: Inquiry) -> None:
    """The built-in model is a registered platform that answers at once (or abstains)."""
    try:
        result = avm_service.quote(inquiry.valuation.lot)
    except Exception as exc:  # a broken model must not stop the inquiry to the other platforms
        logger.warning("built-in model failed on inquiry %s: %s", inquiry.pk, exc)
        result = None
    price = getattr(result, "price", None)
    if result is None or rules.check_price(price) is not None:
        inquiry.status = IStatus.ABSTAINED
        inquiry.save(update_fields=["status"])
        audit.record("valuation.inquiry_abstained", inquiry, data={"organisation": inquiry.organisation.code})
        return
    now = clock.now()
    comparables = list(getattr(result, "comparables", []) or [])[:20]
    quote = Quote.objects.create(
        inquiry=inquiry, price=price, valid_until=now + AVM_VALIDITY, source=Quote.Source.BUILTIN_AVM, submitted_at=now,
        basis={"low": getattr(result, "low", None), "high": getattr(result, "high", None), "n": getattr(result, "n", None),
               "comparables": json.loads(json.dumps(comparables, default=str))})
    inquiry.status = IStatus.ANSWERED
    inquiry.save(update_fields=["status"])
    audit.record("valuation.quote_submitted", quote, data={"inquiry": inquiry.pk, "price": price, "source": "builtin_avm"})


def lot_facts(lot: Lot) -> dict[str, Any]:
    return {"id": lot.pk, "title": lot.title, "category": lot.category, "description": lot.description, "location": lot.location,
            "city": lot.city, "size": str(lot.size) if lot.size is not None else None, "size_unit": lot.size_unit,
            "year_built": lot.year_built, "court": lot.case.court.name}


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_payload(inquiry: Inquiry, base_url: str = "") -> bytes:
    return json.dumps({
        "inquiry": inquiry.pk, "token": inquiry.token, "deadline": inquiry.deadline.isoformat() if inquiry.deadline else None,
        "callback": f"{base_url}/api/v1/valuer/inquiries/{inquiry.pk}/quote/", "lot": lot_facts(inquiry.valuation.lot),
    }, ensure_ascii=False, sort_keys=True).encode()


def dispatch_http(inquiry_id: int) -> bool:
    """POST the lot facts to an HTTP provider, signed with HMAC-SHA256 (header X-Signature). Retried by the clock."""
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update(skip_locked=True).select_related("organisation", "valuation__lot__case__court").filter(
            pk=inquiry_id, status=IStatus.PENDING, dispatched_at__isnull=True, organisation__provider=Provider.HTTP).first()
        if inquiry is None:
            return False
        org = inquiry.organisation
        body = http_payload(inquiry, os.environ.get("SITE_URL", ""))  # the public base URL the provider calls back
        req = urllib.request.Request(org.endpoint, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Signature": sign(org.secret, body), "X-Inquiry": str(inquiry.pk)})
        inquiry.dispatch_attempts += 1
        try:
            with urllib.request.urlopen(req, timeout=HTTP_DISPATCH_TIMEOUT) as resp:
                ok = 200 <= resp.status < 300
                error = "" if ok else f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            ok, error = False, str(exc)[:300]
        if ok:
            inquiry.dispatched_at = clock.now()
            inquiry.dispatch_error = ""
            audit.record("valuation.inquiry_dispatched", inquiry, data={"endpoint": org.endpoint, "attempt": inquiry.dispatch_attempts})
        else:
            inquiry.dispatch_error = error
            logger.warning("dispatch of inquiry %s to %s failed: %s", inquiry.pk, org.endpoint, error)
        inquiry.save(update_fields=["dispatch_attempts", "dispatched_at", "dispatch_error"])
    return ok


# --------------------------------------------------------------------------------------------- answers


def _report_key_for(inquiry: Inquiry, name: str) -> str:
    return f"{REPORT_PREFIX}/inquiry-{inquiry.pk}/{secrets.token_hex(8)}-{name}"


def store_report(actor, inquiry: Inquiry, uploaded) -> tuple[str, int]:
    """Check an uploaded report is a real PDF (magic bytes, size) and store it in object storage."""
    if actor is not None:
        ensure_valuer_of(actor, inquiry)
    size = int(getattr(uploaded, "size", 0) or 0)
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    _refuse(rules.check_report_pdf(head, size))
    key = default_storage.save(_report_key_for(inquiry, "report.pdf"), uploaded)
    return key, size


def check_report_key(inquiry: Inquiry, key: str) -> int:
    """A report uploaded earlier for THIS inquiry (key under its prefix) that is a real PDF -> its size."""
    if not key.startswith(f"{REPORT_PREFIX}/inquiry-{inquiry.pk}/") or ".." in key:
        raise DomainError("report_key_invalid", "报告文件不属于该询价 / the report key does not belong to this inquiry", field="report")
    if not default_storage.exists(key):
        raise DomainError("report_missing", "报告文件不存在 / no report stored under this key", field="report")
    size = default_storage.size(key)
    with default_storage.open(key, "rb") as fh:
        head = fh.read(8)
    _refuse(rules.check_report_pdf(head, size))
    return size


def _current_quote(inquiry: Inquiry) -> Quote | None:
    return inquiry.quotes.filter(correction__isnull=True).order_by("-submitted_at", "-id").first()


def submit_quote(inquiry: Inquiry, *, price: int, valid_until: datetime, report_key: str = "", actor=None,
                 via_token: bool = False, basis: dict | None = None) -> Quote:
    """A valuer (or an HTTP provider with the inquiry's token) answers, or corrects its answer (B12)."""
    with transaction.atomic():
        valuation = _lock_valuation(inquiry.valuation_id)
        inquiry = Inquiry.objects.select_for_update().select_related("organisation").get(pk=inquiry.pk)
        if not via_token:
            ensure_valuer_of(actor, inquiry)
        _refuse(rules.check_price(price))
        now = clock.now()
        _refuse(rules.check_quote_validity(valid_until, now))
        report_size = 0
        if report_key:
            report_size = check_report_key(inquiry, report_key)
        elif inquiry.organisation.provider == Provider.PORTAL:
            raise DomainError("report_required", "须上传 PDF 格式的询价/评估报告 / a PDF report is required", field="report")
        corrects = None
        if inquiry.status == IStatus.PENDING:
            if valuation.status != VStatus.OPEN:
                raise Conflict("valuation_closed", "该估价已结束 / this valuation is over")
            if inquiry.deadline is None or now > inquiry.deadline:
                raise Conflict("deadline_passed", "[B11/B19] 已超过答复期限 / the deadline has passed")
        elif inquiry.status == IStatus.ANSWERED and valuation.method == Method.NETWORK and valuation.status in (VStatus.OPEN, VStatus.CONCLUDED):
            corrects = _current_quote(inquiry)
            first = inquiry.quotes.order_by("submitted_at", "id").first()
            due = inquiry.correction_due or rules.correction_deadline(first.submitted_at, None)
            if now > due:
                raise Conflict("correction_too_late", "[B12] 补正须在三日内提出 / corrections within 3 days")
        else:
            raise Conflict("inquiry_closed", "该询价已不能答复 / this inquiry can no longer be answered")
        quote = Quote.objects.create(inquiry=inquiry, price=price, valid_until=valid_until, report_key=report_key, report_size=report_size,
                                     source=Quote.Source.HTTP if via_token else Quote.Source.PORTAL, corrects=corrects, submitted_at=now,
                                     submitted_by=actor if not via_token else None, basis=basis or {})
        audit.record("valuation.quote_corrected" if corrects else "valuation.quote_submitted", quote, actor=actor, data={
            "inquiry": inquiry.pk, "organisation": inquiry.organisation.code, "price": price, "valid_until": valid_until,
            "report_key": report_key, "corrects": corrects.pk if corrects else None})
        if corrects is not None:
            inquiry.correction_due = None
            inquiry.save(update_fields=["correction_due"])
            if valuation.status == VStatus.CONCLUDED:
                _recompute_network(valuation, actor=actor)
            return quote
        inquiry.status = IStatus.ANSWERED
        inquiry.save(update_fields=["status"])
        if valuation.method == Method.NETWORK:
            _maybe_settle_network(valuation, now)
        else:
            _conclude_single(valuation, quote, actor=actor)
    return quote


def _conclude_single(valuation: Valuation, quote: Quote, *, actor=None) -> None:
    """Directed inquiry or appraisal: the one result is the reference price."""
    now = clock.now()
    valuation.status = VStatus.CONCLUDED
    valuation.reference_price = quote.price
    valuation.fixed_at = now
    valuation.ended_at = now
    valuation.valid_until = rules.reference_valid_until([quote.valid_until], now)
    valuation.save(update_fields=["status", "reference_price", "fixed_at", "ended_at", "valid_until"])
    audit.record("valuation.concluded", valuation, actor=actor, data={"reference_price": quote.price, "quote": quote.pk,
                                                                      "valid_until": valuation.valid_until})
    _apply_reference_price(valuation, actor=actor)
    _deliver(valuation)


def effective_network_quotes(valuation: Valuation) -> list[Quote]:
    """B13: the current (corrected) result of each platform that delivered on time and was not set aside."""
    out = []
    for inquiry in valuation.inquiries.filter(status=IStatus.ANSWERED).select_related("organisation"):
        q = _current_quote(inquiry)
        if q is not None:
            out.append(q)
    return out


def _maybe_settle_network(valuation: Valuation, now: datetime) -> None:
    """Conclude as soon as no platform is still expected (everyone answered or abstained)."""
    if valuation.status != VStatus.OPEN:
        return
    if valuation.inquiries.filter(status=IStatus.PENDING).exists():
        return
    if valuation.inquiries.filter(status=IStatus.ANSWERED).exists():
        _recompute_network(valuation, concluding=True)
    else:
        _fail(valuation, "[B11] 全部平台均未出具结果 / no platform delivered a result")


def _recompute_network(valuation: Valuation, *, actor=None, concluding: bool = False) -> None:
    quotes = effective_network_quotes(valuation)
    now = clock.now()
    if not quotes:
        valuation.reference_price = None
        valuation.valid_until = None
        valuation.save(update_fields=["reference_price", "valid_until"])
        _apply_reference_price(valuation, actor=actor)
        _fail(valuation, "[B13] 全部询价结果均不予采用 / every result was set aside", actor=actor)
        return
    price = rules.average_half_up([q.price for q in quotes])
    valuation.reference_price = price
    valuation.fixed_at = now
    valuation.valid_until = rules.reference_valid_until([q.valid_until for q in quotes], now)
    fields = ["reference_price", "fixed_at", "valid_until"]
    if concluding:
        valuation.status = VStatus.CONCLUDED
        valuation.ended_at = now
        fields += ["status", "ended_at"]
    valuation.save(update_fields=fields)
    audit.record("valuation.concluded" if concluding else "valuation.recomputed", valuation, actor=actor, data={
        "reference_price": price, "quotes": [q.pk for q in quotes], "prices": [q.price for q in quotes], "valid_until": valuation.valid_until})
    _apply_reference_price(valuation, actor=actor, n=len(quotes))
    _deliver(valuation)


def _fail(valuation: Valuation, reason: str, *, actor=None) -> Valuation | None:
    """The method did not succeed: record why and start the next method where B2 says so."""
    now = clock.now()
    valuation.status = VStatus.FAILED
    valuation.failure_reason = reason[:300]
    valuation.ended_at = now
    valuation.save(update_fields=["status", "failure_reason", "ended_at"])
    cancelled = list(valuation.inquiries.filter(status__in=[IStatus.PENDING, IStatus.QUEUED]).values_list("pk", flat=True))
    valuation.inquiries.filter(pk__in=cancelled).update(status=IStatus.CANCELLED)
    audit.record("valuation.failed", valuation, actor=actor, data={"reason": reason, "inquiries_cancelled": cancelled})
    nxt = _fall_through(valuation)
    _notify_parties(valuation, "failed", f"估价未成：{valuation.lot.title}",
                    f"{_describe(valuation)} 未成（{reason}）。" + (f"已转入{nxt.get_method_display()}。" if nxt else "请等待法院决定。"))
    return nxt


def _fall_through(valuation: Valuation) -> Valuation | None:
    # B2: negotiated -> directed (when the property has a tax base / government price) -> network -> appraisal.
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
    nxt.save()
    audit.record("valuation.started", nxt, data={"lot": nxt.lot_id, "method": nxt.method, "after": valuation.pk, "deadline": nxt.deadline})
    if nxt.method == Method.DIRECTED:
        _send(nxt, valuation.fallback_agency, position=1, deadline=nxt.deadline)
    elif nxt.method == Method.NETWORK:
        _open_network(nxt)
    else:
        _open_appraisal(nxt, None)
    return nxt


def _next_method_possible(method: str) -> bool:
    kind = {Method.NETWORK: Kind.INQUIRY_PLATFORM, Method.APPRAISAL: Kind.APPRAISAL_INSTITUTION}.get(method)
    return kind is None or Organisation.objects.filter(kind=kind, active=True).exists()


# --------------------------------------------------------------------------------------------- parties


def submit_offer(user, valuation: Valuation, *, price: int) -> PartyOffer:
    """B4: each party submits its price before the judge's deadline; the same price from all is the reference price."""
    with transaction.atomic():
        valuation = _lock_valuation(valuation.pk)
        mine = parties_of(user, valuation.lot.case_id)
        if not mine:
            raise Forbidden("仅本案当事人可提交议价 / only a party of the case may negotiate")
        if valuation.method != Method.NEGOTIATED:
            raise Conflict("not_negotiation", "该估价不是当事人议价 / this valuation is not a negotiation")
        if valuation.status != VStatus.OPEN:
            raise Conflict("valuation_closed", "议价已结束 / the negotiation is over")
        _refuse(rules.check_price(price))
        now = clock.now()
        if now > valuation.deadline:
            raise Conflict("deadline_passed", "[B4] 已超过议价期限 / the negotiation deadline has passed")
        party = mine[0]
        if PartyOffer.objects.filter(valuation=valuation, party=party).exists():
            raise Conflict("already_submitted", "已提交过议价 / you already submitted a price")
        offer = PartyOffer.objects.create(valuation=valuation, party=party, price=price, submitted_at=now, submitted_by=user)
        audit.record("valuation.offer_submitted", offer, actor=user, data={"valuation": valuation.pk, "party": party.pk, "side": party.side})
        expected = CaseParty.objects.filter(case_id=valuation.lot.case_id, user__isnull=False).count()
        prices = list(valuation.offers.order_by("id").values_list("price", flat=True))
        outcome, agreed = rules.negotiated_outcome(prices, expected)
        if outcome == "agreed":
            valuation.status = VStatus.CONCLUDED
            valuation.reference_price = agreed
            valuation.fixed_at = now
            valuation.ended_at = now
            valuation.valid_until = now + rules.MAX_VALIDITY
            valuation.save(update_fields=["status", "reference_price", "fixed_at", "ended_at", "valid_until"])
            audit.record("valuation.concluded", valuation, actor=user, data={"reference_price": agreed, "valid_until": valuation.valid_until})
            _apply_reference_price(valuation, actor=user)
            _deliver(valuation)
        elif outcome == "disagreed":
            _fail(valuation, "[B4] 当事人提交的价格不一致 / the parties' prices differ", actor=user)
    return offer


def file_objection(user, valuation: Valuation, *, ground: str, reason: str, inquiry: Inquiry | None = None) -> Objection:
    """B22: a party objects within 5 days of receipt on the listed grounds; B24: not to negotiated/directed prices."""
    with transaction.atomic():
        valuation = _lock_valuation(valuation.pk)
        mine = parties_of(user, valuation.lot.case_id)
        if not mine:
            raise Forbidden("仅本案当事人可提出异议 / only a party of the case may object")
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("reason_required", "[B22] 须说明异议理由 / state the reason", field="reason")
        _refuse(rules.check_objection(valuation.method, ground, valuation.delivered_at, clock.now()))
        if valuation.status != VStatus.CONCLUDED:
            raise Conflict("no_result", "该估价没有可异议的结果 / there is no result to object to")
        if valuation.method == Method.NETWORK:
            if inquiry is None or inquiry.valuation_id != valuation.pk or inquiry.status != IStatus.ANSWERED:
                raise DomainError("inquiry_required", "[B22] 须指明异议针对的询价平台结果 / name the platform result objected to", field="inquiry")
        else:
            inquiry = valuation.inquiries.filter(status=IStatus.ANSWERED).first()
        objection = Objection.objects.create(valuation=valuation, inquiry=inquiry, party=mine[0], filed_by=user, ground=ground,
                                             reason=reason[:4000], filed_at=clock.now())
        audit.record("valuation.objection_filed", objection, actor=user, data={
            "valuation": valuation.pk, "inquiry": inquiry.pk if inquiry else None, "ground": ground})
    return objection


def decide_objection(judge, objection: Objection, *, upheld: bool, note: str = "") -> Objection:
    """The judge upholds (result excluded: B13 network average without it; appraisal: next institution) or dismisses."""
    with transaction.atomic():
        valuation = _lock_valuation(objection.valuation_id)
        ensure_judge_of_lot(judge, valuation.lot)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != Objection.Status.PENDING:
            raise Conflict("already_decided", "该异议已审查 / this objection is already decided")
        now = clock.now()
        objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        objection.decided_at, objection.decided_by, objection.decision_note = now, judge, (note or "")[:4000]
        objection.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit.record("valuation.objection_decided", objection, actor=judge, data={"upheld": upheld, "note": note})
        _notify(objection.filed_by, valuation, "objection", "异议审查结果",
                f"您对{_describe(valuation)}的异议{'成立' if upheld else '被驳回'}。{note}")
        inquiry = Inquiry.objects.select_for_update().filter(pk=objection.inquiry_id).first()
        if upheld and inquiry is not None and inquiry.status == IStatus.ANSWERED and valuation.status == VStatus.CONCLUDED:
            _exclude(inquiry, f"异议成立（异议#{objection.pk}）", actor=judge)
            if valuation.method == Method.NETWORK:
                _recompute_network(valuation, actor=judge)
            else:
                _restart_appraisal(valuation, actor=judge)
    return objection


def _exclude(inquiry: Inquiry, reason: str, *, actor=None) -> None:
    inquiry.status = IStatus.EXCLUDED
    inquiry.excluded_reason = reason[:300]
    inquiry.correction_due = None
    inquiry.save(update_fields=["status", "excluded_reason", "correction_due"])
    audit.record("valuation.result_excluded", inquiry, actor=actor, data={"reason": reason})


def _restart_appraisal(valuation: Valuation, *, actor=None) -> None:
    """An upheld objection to an appraisal: the next institution in order appraises afresh."""
    valuation.status = VStatus.OPEN
    valuation.reference_price = None
    valuation.valid_until = None
    valuation.ended_at = None
    valuation.delivered_at = None
    valuation.save(update_fields=["status", "reference_price", "valid_until", "ended_at", "delivered_at"])
    _apply_reference_price(valuation, actor=actor)
    audit.record("valuation.reopened", valuation, actor=actor, data={})
    if not _send_next_institution(valuation):
        _fail(valuation, "[B19] 三家评估机构均未能出具有效报告 / no institution left", actor=actor)


def _send_next_institution(valuation: Valuation) -> bool:
    nxt = valuation.inquiries.select_for_update().filter(status=IStatus.QUEUED).order_by("position").first()
    if nxt is None:
        return False
    nxt.status = IStatus.PENDING
    nxt.sent_at = clock.now()  # one reading of the clock for both
    nxt.deadline = nxt.sent_at + rules.APPRAISAL_DEADLINE
    nxt.save(update_fields=["status", "sent_at", "deadline"])
    _dispatch_new(nxt)
    return True


# ---------------------------------------------------------------------------------- extensions, corrections


def request_extension(inquiry: Inquiry, *, actor=None, days: int | None = None, via_token: bool = False) -> Inquiry:
    """Network (B11): ask before the deadline; decided at the deadline (granted only if ALL platforms missed).
    Appraisal (B19): granted now if asked ≥5 days before the deadline, ≤15 days, at most twice."""
    with transaction.atomic():
        valuation = _lock_valuation(inquiry.valuation_id)
        inquiry = Inquiry.objects.select_for_update().select_related("organisation").get(pk=inquiry.pk)
        if not via_token:
            ensure_valuer_of(actor, inquiry)
        now = clock.now()
        if valuation.status != VStatus.OPEN or inquiry.status != IStatus.PENDING or inquiry.deadline is None or now > inquiry.deadline:
            raise Conflict("inquiry_closed", "该询价已不能申请延期 / no extension can be asked on this inquiry")
        if valuation.method == Method.NETWORK:
            if inquiry.extensions_granted or inquiry.extension_requested_at:
                raise Conflict("extension_used", "[B11] 网络询价只能延期一次 / one extension only")
            if valuation.inquiries.filter(status=IStatus.ANSWERED).exists():
                raise Conflict("others_delivered", "[B11] 其他平台已按期出具结果，延期申请不予准许 / other platforms delivered: extension refused")
            inquiry.extension_requested_at = now
            inquiry.save(update_fields=["extension_requested_at"])
            audit.record("valuation.extension_requested", inquiry, actor=actor, data={"method": "network"})
        elif valuation.method == Method.APPRAISAL:
            if isinstance(days, bool) or not isinstance(days, int):
                raise DomainError("days_required", "[B19] 须申请延长的天数（整数） / give the number of days", field="days")
            _refuse(rules.check_appraisal_extension(now, inquiry.deadline, inquiry.extensions_granted, days))
            old = inquiry.deadline
            inquiry.deadline = old + timedelta(days=days)
            inquiry.extensions_granted += 1
            inquiry.extension_requested_at = now
            inquiry.extension_days_requested = days
            inquiry.save(update_fields=["deadline", "extensions_granted", "extension_requested_at", "extension_days_requested"])
            audit.record("valuation.extension_granted", inquiry, actor=actor, data={"days": days, "from": old, "to": inquiry.deadline})
        else:
            raise Conflict("no_extension", "定向询价的期限由法院确定 / the court sets the directed-inquiry deadline")
    return inquiry


def request_correction(judge, inquiry: Inquiry, *, reason: str) -> Inquiry:
    """B12: the court asks a platform to correct its result within 3 days; uncorrected, the result is set aside."""
    with transaction.atomic():
        valuation = _lock_valuation(inquiry.valuation_id)
        ensure_judge_of_lot(judge, valuation.lot)
        inquiry = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if valuation.method != Method.NETWORK or inquiry.status != IStatus.ANSWERED:
            raise Conflict("not_correctable", "[B12] 只能要求已出具的网络询价结果补正 / only a delivered network result can be corrected")
        if inquiry.correction_due is not None:
            raise Conflict("correction_pending", "已要求补正 / a correction is already requested")
        reason = (reason or "").strip()
        if not reason:
            raise DomainError("reason_required", "须说明补正事项 / state what to correct", field="reason")
        now = clock.now()
        inquiry.correction_requested_at = now
        inquiry.correction_due = rules.correction_deadline(now, now)
        inquiry.correction_reason = reason[:500]
        inquiry.save(update_fields=["correction_requested_at", "correction_due", "correction_reason"])
        audit.record("valuation.correction_requested", inquiry, actor=judge, data={"reason": reason, "due": inquiry.correction_due})
        _notify_valuers(inquiry, "correction", "询价结果需补正", f"请于 {clock_local(inquiry.correction_due)} 前补正：{reason}")
    return inquiry


# ------------------------------------------------------------------------------------------------ fee


def award_network_fee(round: Round) -> FeeAward | None:
    """B31: after the sale, the network inquiry fee goes to the platform whose result was closest to the sale price."""
    sold = round.sold_price
    if sold is None:
        return None
    with transaction.atomic():
        valuation = (Valuation.objects.select_for_update().filter(lot_id=round.lot_id, method=Method.NETWORK, status=VStatus.CONCLUDED)
                     .order_by("-fixed_at", "-id").first())
        if valuation is None:
            return None
        existing = FeeAward.objects.filter(valuation=valuation).first()
        if existing is not None:
            return existing
        quotes = {q.pk: q for q in effective_network_quotes(valuation)}
        best = rules.closest_to_sale([(q.price, q.submitted_at, q.pk) for q in quotes.values()], sold)
        if best is None:
            return None
        quote = quotes[best]
        award = FeeAward.objects.create(valuation=valuation, round=round, organisation=quote.inquiry.organisation, quote=quote,
                                        sold_price=sold, awarded_at=clock.now())
        audit.record("valuation.fee_awarded", award, data={"round": round.pk, "organisation": quote.inquiry.organisation.code,
                                                          "quote_price": quote.price, "sold_price": sold})
    return award


# ------------------------------------------------------------------------------------------- clockwork


def process_deadlines(now: datetime) -> dict:
    """Deadlines of every open valuation, decided by the recorded deadlines (a late tick changes nothing)."""
    done = {"failed": 0, "concluded": 0, "extended": 0, "replaced": 0, "corrections_missed": 0}
    # Negotiation / directed inquiry past the judge's deadline.
    for vid in Valuation.objects.filter(status=VStatus.OPEN, method=Method.NEGOTIATED, deadline__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            v = Valuation.objects.select_for_update(skip_locked=True).filter(pk=vid, status=VStatus.OPEN).first()
            if v is not None:
                _fail(v, "[B4] 议价期限届满，当事人未达成一致 / the negotiation deadline passed without agreement")
                done["failed"] += 1
    for vid in (Inquiry.objects.filter(status=IStatus.PENDING, deadline__lt=now, valuation__status=VStatus.OPEN)
                .order_by().values_list("valuation_id", flat=True).distinct()):
        with transaction.atomic():
            v = Valuation.objects.select_for_update(skip_locked=True).filter(pk=vid, status=VStatus.OPEN).first()
            if v is None:
                continue
            key = _deadline_passed(v, now)
            if key:
                done[key] += 1
    # B12: corrections not delivered in time -> the result is set aside.
    for iid in Inquiry.objects.filter(status=IStatus.ANSWERED, correction_due__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            inquiry = Inquiry.objects.select_for_update(skip_locked=True).filter(pk=iid, status=IStatus.ANSWERED, correction_due__lt=now).first()
            if inquiry is None:
                continue
            v = _lock_valuation(inquiry.valuation_id)
            _exclude(inquiry, "[B12] 未在三日内补正 / not corrected within 3 days")
            if v.status == VStatus.CONCLUDED:
                _recompute_network(v)
            done["corrections_missed"] += 1
    return done


def _deadline_passed(valuation: Valuation, now: datetime) -> str | None:
    overdue = list(valuation.inquiries.select_for_update().filter(status=IStatus.PENDING, deadline__lt=now))
    if not overdue:
        return None  # another tick already dealt with it
    if valuation.method == Method.DIRECTED:
        for inq in overdue:
            inq.status = IStatus.MISSED
            inq.save(update_fields=["status"])
            audit.record("valuation.inquiry_missed", inq, data={"deadline": inq.deadline})
        _fail(valuation, "[B6] 定向询价机构未在期限内答复 / the agency did not answer in time")
        return "failed"
    if valuation.method == Method.APPRAISAL:
        for inq in overdue:
            inq.status = IStatus.MISSED
            inq.save(update_fields=["status"])
            audit.record("valuation.inquiry_missed", inq, data={"deadline": inq.deadline, "extensions": inq.extensions_granted})
        # B19: late without an (allowed) extension -> the next institution in order.
        if _send_next_institution(valuation):
            return "replaced"
        _fail(valuation, "[B19] 三家评估机构均未按期出具报告 / no institution reported in time")
        return "failed"
    # Network inquiry (B11). The decision is taken once every platform's deadline has passed.
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
                audit.record("valuation.extension_granted", inq, data={"from": old, "to": inq.deadline})
            else:
                inq.status = IStatus.MISSED
                inq.save(update_fields=["status"])
                audit.record("valuation.inquiry_missed", inq, data={"deadline": inq.deadline})
        return "extended"
    for inq in overdue:
        inq.status = IStatus.MISSED
        inq.save(update_fields=["status"])
        audit.record("valuation.inquiry_missed", inq, data={"deadline": inq.deadline, "extension_refused": bool(inq.extension_requested_at)})
    if outcome == "conclude":
        _recompute_network(valuation, concluding=True)
        return "concluded"
    _fail(valuation, "[B11] 全部平台均未在期限内出具结果 / every platform missed the deadline")
    return "failed"


def retry_dispatch_and_mail(now: datetime) -> dict:
    sent = 0
    for iid in Inquiry.objects.filter(status=IStatus.PENDING, dispatched_at__isnull=True, organisation__provider=Provider.HTTP,
                                      dispatch_attempts__lt=HTTP_DISPATCH_MAX_ATTEMPTS).values_list("pk", flat=True):
        sent += int(dispatch_http(iid))
    mailed = 0
    for nid in Notification.objects.filter(emailed_at__isnull=True, email_attempts__lt=EMAIL_MAX_ATTEMPTS,
                                           created_at__gte=now - rules.DELIVERY_WITHIN).exclude(user__email="").values_list("pk", flat=True):
        mailed += int(send_notification_email(nid))
    return {"dispatched": sent, "mailed": mailed}


def award_fees_for_sold_rounds() -> int:
    sold_statuses = [Round.Status.SOLD, Round.Status.PAID, Round.Status.SETTLED]
    rounds = Round.objects.filter(status__in=sold_statuses, sold_price__isnull=False, lot__valuations__method=Method.NETWORK,
                                  lot__valuations__status=VStatus.CONCLUDED, lot__valuations__fee_award__isnull=True).distinct()
    return sum(1 for r in rounds if award_network_fee(r) is not None)
