"""Pages of valuation: the valuer's inbox, the judge's valuation pages, the parties' view. Thin: services do the work."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction_site import clock
from auction_site.errors import DomainError, ErrorCode, in_language
from auction_site.money import yuan
from lots.access import ensure_judge_of
from lots.models import Lot
from valuation import access, rules, selectors, services
from valuation.models import Inquiry, Method, Objection, Organisation, Valuation

YUAN_TEXT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


def parse_yuan(text: str) -> int:
    """'3,309,250.5' -> 330925050 fen, exactly (Decimal, at most 2 decimals); anything else refused."""
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not YUAN_TEXT.match(text):
        raise DomainError(ErrorCode.INVALID_PRICE, _("价格须为正数，最多两位小数（单位：元）"), field="price")
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation:
        raise DomainError(ErrorCode.INVALID_PRICE, _("价格格式错误"), field="price")
    if fen <= 0:
        raise DomainError(ErrorCode.INVALID_PRICE, _("价格须大于零"), field="price")
    return fen


def parse_date_end(text: str) -> datetime:
    """A date 'YYYY-MM-DD' (or datetime-local) -> that moment in Asia/Shanghai (a date means the end of that day)."""
    text = (text or "").strip()
    try:
        if "T" in text:
            value = datetime.fromisoformat(text)
        else:
            value = datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(23, 59, 59))
    except ValueError:
        raise DomainError(ErrorCode.INVALID_DATE, _("日期格式错误"), field="date")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, in_language(exc.message))


# ------------------------------------------------------------------------------------------------ valuer


def _desk_item(inquiry: Inquiry, now: datetime) -> dict:
    d = selectors.valuer_inquiry_dict(inquiry)
    d.update(deadline_dt=inquiry.deadline, method_label=inquiry.valuation.get_method_display(),
             status_label=inquiry.get_status_display(), can_extend=inquiry.valuation.method in ("network", "appraisal"),
             overdue=rules.inquiry_overdue(inquiry.status, inquiry.deadline, now))
    return d


def _default_valid() -> str:
    return timezone.localtime(clock.now() + rules.MAX_VALIDITY / 2).date().isoformat()


@login_required
def valuer_inbox(request: HttpRequest) -> HttpResponse:
    try:
        org = access.valuer_organisation(request.user)
    except DomainError as exc:
        return HttpResponseForbidden(exc.message)
    now = clock.now()
    items = [_desk_item(inquiry, now) for inquiry in selectors.valuer_inquiries(org)]
    items.sort(key=lambda i: (not i["open"], i["seconds_left"]))
    return render(request, "valuation/valuer_inbox.html", {
        "organisation": org, "open_items": [i for i in items if i["open"]], "other_items": [i for i in items if not i["open"]],
        "overdue_count": selectors.overdue_inquiries(now, organisation=org).count(),
        "default_valid": _default_valid(), "now_ms": int(now.timestamp() * 1000),
    })


@login_required
def valuer_inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    """The valuer's desk for one inquiry: the property's full dossier, the answer form, the answer once given."""
    inquiry = get_object_or_404(Inquiry.objects.select_related("valuation__lot__case__court", "organisation"), pk=pk)
    try:
        access.ensure_valuer_of(request.user, inquiry)
    except DomainError as exc:
        return HttpResponseForbidden(exc.message)
    now = clock.now()
    return render(request, "valuation/valuer_inquiry.html", {
        "i": _desk_item(inquiry, now), "dossier": selectors.inquiry_dossier(inquiry), "default_valid": _default_valid(),
        "now_ms": int(now.timestamp() * 1000),
    })


@login_required
@require_POST
def valuer_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: the form's price, validity and PDF are checked and the PDF stored, then shown for confirmation (a
    result cannot be changed once submitted, B12 corrections aside); the confirmation submits it."""
    inquiry = get_object_or_404(Inquiry.objects.select_related("valuation__lot", "organisation"), pk=pk)
    p = request.POST
    confirming = p.get("confirm") == "1"
    stored = None
    try:
        access.ensure_valuer_of(request.user, inquiry)
        price = parse_yuan(p.get("price", ""))
        valid_until = parse_date_end(p.get("valid_until", ""))
        violation = rules.check_quote_validity(valid_until, clock.now())
        if violation is not None:
            raise DomainError(violation, str(violation))
        if confirming:
            stored = p.get("report_key", "")
            services.submit_quote(request.user, inquiry=inquiry, price=price, valid_until=valid_until, report_key=stored)
        else:
            upload = request.FILES.get("report")
            if upload is None:
                raise DomainError(ErrorCode.REPORT_REQUIRED, _("须上传 PDF 格式的报告"))
            stored, size = services.store_report(request.user, inquiry=inquiry, uploaded=upload)
    except DomainError as exc:
        if stored and not confirming:
            services.discard_report(stored)
        _fail(request, exc)
        return redirect("valuation:valuer-inquiry", pk=inquiry.pk)
    if not confirming:
        return render(request, "valuation/valuer_confirm.html", {
            "inquiry": inquiry, "price": price, "price_text": p.get("price", ""), "valid_until": valid_until,
            "valid_text": p.get("valid_until", ""), "report_key": stored, "report_size": size, "report_url": selectors.report_url(stored),
            "report_name": getattr(upload, "name", ""),
        })
    messages.success(request, _("已提交报价 %(price)s 元") % {"price": yuan(price)})
    return redirect("valuation:valuer-inquiry", pk=inquiry.pk)


@login_required
@require_POST
def valuer_extension(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_object_or_404(Inquiry, pk=pk)
    try:
        days = request.POST.get("days")
        services.request_extension(request.user, inquiry=inquiry, days=int(days) if days and days.isdigit() else None)
        messages.success(request, _("延期申请已提交"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("valuation:valuer-inquiry", pk=inquiry.pk)


# ------------------------------------------------------------------------------------------------ judge


def _judge_lot(request: HttpRequest, lot: Lot) -> HttpResponse | None:
    try:
        ensure_judge_of(request.user, lot)
    except DomainError as exc:
        return HttpResponseForbidden(exc.message)
    return None


@login_required
def court_lot_valuation(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case__court"), pk=lot_id)
    refused = _judge_lot(request, lot)
    if refused:
        return refused
    if request.method == "POST":
        p = request.POST
        try:
            deadline = parse_date_end(p["deadline"]) if p.get("deadline") else None
            institutions = [c for c in (p.get("inst1"), p.get("inst2"), p.get("inst3")) if c] or None
            v = services.start_valuation(request.user, lot=lot, method=p.get("method", ""), deadline=deadline, agency=p.get("agency") or None, price_basis=p.get("price_basis", ""), institutions=institutions, fallback_agency=p.get("fallback_agency") or None, fallback_basis=p.get("fallback_basis", ""))
        except DomainError as exc:
            _fail(request, exc)
            return redirect("valuation:court-lot", lot_id=lot.pk)
        messages.success(request, _("已启动估价"))
        return redirect("valuation:court-valuation", pk=v.pk)
    orgs = Organisation.objects.filter(active=True)
    method = request.GET.get("method", "")
    if method not in rules.METHOD_ORDER:
        method = selectors.suggested_method(lot)
    valuations = selectors.valuations_of_lot(lot)
    return render(request, "valuation/court_lot.html", {
        "lot": lot, "valuations": valuations, "price_due_by": rules.price_due_by(lot.seized_at),
        "ref": selectors.reference_of(lot), "steps": selectors.method_steps(lot), "method": method,
        "methods": Method.choices, "open_valuation": valuations.filter(status=Valuation.Status.OPEN).first(),
        "agencies": orgs.filter(kind=Organisation.Kind.AGENCY), "institutions": orgs.filter(kind=Organisation.Kind.APPRAISAL_INSTITUTION),
        "platforms": orgs.filter(kind=Organisation.Kind.INQUIRY_PLATFORM),
    })


@login_required
def court_valuation(request: HttpRequest, pk: int) -> HttpResponse:
    v = get_object_or_404(Valuation.objects.select_related("lot__case__court"), pk=pk)
    refused = _judge_lot(request, v.lot)
    if refused:
        return refused
    data = selectors.valuation_dict(v)
    current = selectors.current_quotes(v)
    records = {r["code"]: r for r in selectors.scorecards()}
    for q in current:
        q.report_url = selectors.report_url(q.report_key)
        q.record = records.get(q.inquiry.organisation.code)
    used = {q["id"] for q in data["quotes"] if q["used"]}
    chart = {
        "labels": [q.inquiry.organisation.name for q in current],
        "prices": [q.price for q in current],
        "used": [q.pk in used for q in current],
        "reference": v.reference_price,
    }
    now = clock.now()
    inquiries = list(v.inquiries.select_related("organisation").order_by("position"))
    for i in inquiries:
        i.overdue = rules.inquiry_overdue(i.status, i.deadline, now)  # flagged as the dashboard and the inbox count it
    return render(request, "valuation/court_valuation.html", {
        "v": v, "data": data, "current": current, "used": used, "chart": chart,
        "inquiries": inquiries,
        "objections": v.objections.select_related("party", "inquiry__organisation"),
        "chain": _chain(v), "lottery": getattr(v, "lottery", None), "ref": selectors.reference_of(v.lot),
        "objectionable": v.method in rules.OBJECTIONABLE_METHODS or v.objections.exists(),
        "sale_due_by": rules.sale_due_by(v.fixed_at) if v.status == Valuation.Status.CONCLUDED else None,
    })


def _chain(v: Valuation) -> list[Valuation]:
    """The methods tried for this lot, in order (B2)."""
    return list(Valuation.objects.filter(lot_id=v.lot_id).order_by("started_at", "id"))


@login_required
@require_POST
def court_decide(request: HttpRequest, pk: int) -> HttpResponse:
    o = get_object_or_404(Objection, pk=pk)
    try:
        services.decide_objection(request.user, objection=o, upheld=request.POST.get("decision") == "upheld", note=request.POST.get("note", ""))
        messages.success(request, _("已作出审查决定"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("valuation:court-valuation", pk=o.valuation_id)


@login_required
@require_POST
def court_correction(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_object_or_404(Inquiry, pk=pk)
    try:
        services.request_correction(request.user, inquiry=inquiry, reason=request.POST.get("reason", ""))
        messages.success(request, _("已要求补正"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("valuation:court-valuation", pk=inquiry.valuation_id)


# ------------------------------------------------------------------------------------------------ parties


@login_required
def party_home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = []
    for v in selectors.party_valuations(request.user):
        mine = access.parties_of(request.user, v.lot.case_id)
        sides = {p.side for p in mine}
        offers = list(v.offers.select_related("party").order_by("round"))
        last = offers[-1] if offers else None
        objectable = (v.status == Valuation.Status.CONCLUDED and v.method in rules.OBJECTIONABLE_METHODS and v.delivered_at
                      and now <= v.delivered_at + rules.OBJECTION_WINDOW)
        my_side = next(iter(sides), None)
        can_offer = (v.method == "negotiated" and v.status == "open" and v.deadline is not None and my_side is not None
                     and rules.check_negotiation_offer(my_side, last.party.side if last else None, now, v.deadline) is None)
        rows.append({"v": v, "data": selectors.valuation_dict(v, viewer=request.user), "offers": offers, "objectable": objectable,
                     "objection_until": v.delivered_at + rules.OBJECTION_WINDOW if v.delivered_at else None, "my_side": my_side,
                     "can_offer": can_offer, "to_accept": last if can_offer and last is not None else None,
                     "waiting": v.status == "open" and last is not None and last.party.side == my_side})
    notes = list(selectors.notifications_of(request.user))
    services.mark_notifications_read(request.user)
    return render(request, "valuation/party.html", {
        "cases": selectors.party_cases(request.user), "rows": rows, "notifications": notes, "grounds": Objection.Ground.choices,
        "server_now": now.isoformat(),
    })


@login_required
@require_POST
def party_offer(request: HttpRequest, pk: int) -> HttpResponse:
    v = get_object_or_404(Valuation, pk=pk)
    try:
        services.submit_offer(request.user, valuation=v, price=parse_yuan(request.POST.get("price", "")))
        v.refresh_from_db()
        messages.success(request, _("双方价格一致，已确定为参考价") if v.status == Valuation.Status.CONCLUDED else _("已提交议价，等待对方答复"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("valuation:party")


@login_required
@require_POST
def party_objection(request: HttpRequest, pk: int) -> HttpResponse:
    v = get_object_or_404(Valuation, pk=pk)
    inquiry = None
    raw = request.POST.get("inquiry", "")
    if raw.isdigit():
        inquiry = Inquiry.objects.filter(pk=int(raw), valuation=v).first()
    try:
        services.file_objection(request.user, valuation=v, ground=request.POST.get("ground", ""), reason=request.POST.get("reason", ""), inquiry=inquiry)
        messages.success(request, _("异议已提交，等待法院审查"))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("valuation:party")

