"""Pages of settlement: the court's dashboard (+ CSV), the judge's settlement page, the public result."""

import csv
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Court
from auction_site import clock
from auction_site.errors import DomainError, ErrorCode, in_language
from auction_site.fields import MAX_FEN
from auction_site.money import yuan
from auction_site.replica import reads_may_lag
from escrow import balances, ledger
from lots.access import ensure_judge_of
from lots.models import Round
from settlement import opendata, rules, selectors, services
from settlement.models import Settlement
from transparency import selectors as transparency


def _dashboard_court(request: HttpRequest) -> Court | None:
    user = request.user
    if getattr(user, "is_operator", False):
        court_id = request.GET.get("court", "")
        if court_id.isdigit():
            return Court.objects.filter(pk=int(court_id)).first()
        return None
    if getattr(user, "is_judge", False):
        return user.court
    raise PermissionDenied


@login_required
@reads_may_lag  # statistics: a moment behind is fine (auction_site.replica)
def dashboard(request: HttpRequest) -> HttpResponse:
    court = _dashboard_court(request)
    d = selectors.dashboard(court)
    chart = {
        "months": [m["month"] for m in d.months],
        "sale_rate": [None if m["sale_rate_bp"] is None else m["sale_rate_bp"] / 100 for m in d.months],
        "amount_yuan": [m["amount"] // 100 for m in d.months],
        "commission_yuan": [m["commission_saved"] // 100 for m in d.months],
        "labels": {"sale_rate": _("成交率(%)"), "amount": _("成交金额(元)"), "commission": _("节省佣金(元)")},
    }
    return render(request, "settlement/dashboard.html", {
        "d": d, "court": court, "courts": Court.objects.order_by("name") if request.user.is_operator else None,
        "chart_json": chart,
        "status_rows": [(dict(Round.Status.choices).get(k, k), n) for k, n in d.by_status.items()],
        "query": f"?court={court.pk}" if court and request.user.is_operator else "",
        "overdue_balance_rounds": selectors.overdue_balance_rounds(court, clock.now()).select_related("lot__case").order_by("balance_due_at")[:50],
    })


@login_required
@reads_may_lag
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    court = _dashboard_court(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="court-dashboard.csv"'
    response.write("\ufeff")  # BOM so spreadsheet programs read UTF-8 Chinese correctly
    writer = csv.writer(response)
    d = selectors.dashboard(court)
    writer.writerow(["# court", court.name if court else "all"])
    writer.writerow(["# auctioned", d.auctioned, "sold", d.sold, "sale_rate_bp", d.sale_rate_bp,
                     "premium_rate_bp", d.premium_rate_bp, "commission_saved_fen", d.commission_saved])
    for row in selectors.csv_rows(court):
        writer.writerow(row)
    return response


def _parse_yuan(text: str) -> int | None:
    text = (text or "").replace(",", "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("金额格式不正确")) from exc
    if not value.is_finite():
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("金额格式不正确"))
    fen = value * 100
    if fen != fen.to_integral_value() or fen <= 0 or fen > MAX_FEN:
        raise DomainError(ErrorCode.INVALID_AMOUNT, _("金额须为正数，最多两位小数"))
    return int(fen)


@login_required
def round_settlement(request: HttpRequest, pk: int) -> HttpResponse:
    round = Round.objects.select_related("lot__case__court").filter(pk=pk).first()
    if round is None:
        raise Http404
    case = round.lot.case
    try:
        ensure_judge_of(request.user, case, allow_operator=True)
    except DomainError as exc:
        raise PermissionDenied from exc
    if request.method == "POST":
        try:
            payouts = []
            rows = request.POST.get("rows", "0")
            if not rows.isdigit() or int(rows) > 50:
                raise DomainError(ErrorCode.INVALID, _("表单不完整"))
            for i in range(int(rows)):
                amount = _parse_yuan(request.POST.get(f"amount_{i}", ""))
                payee = request.POST.get(f"payee_{i}", "").strip()
                kind = request.POST.get(f"kind_{i}", "")
                if amount is None and (not payee or kind == "tax"):
                    continue  # an empty row, or a tax row offered (A13) where no tax is withheld
                if amount is None:
                    raise DomainError(ErrorCode.INVALID_AMOUNT, _("请填写金额"))
                item = {"kind": kind, "payee": payee, "amount": amount}
                if request.POST.get(f"borne_by_{i}"):
                    item["borne_by"] = request.POST[f"borne_by_{i}"]
                claim = _parse_yuan(request.POST.get(f"claim_{i}", ""))
                if claim is not None:
                    item["claim"] = claim
                payouts.append(item)
            services.settle_round(request.user, round_id=round.pk, raw_payouts=payouts)
            messages.success(request, _("结算完成，结果已报送执行案件系统"))
        except DomainError as exc:
            messages.error(request, in_language(exc.message))
        return redirect("settlement:round-settlement", pk=round.pk)
    available = ledger.balance(ledger.case_account(case))
    settlement = Settlement.objects.filter(round=round).prefetch_related("payouts").first()
    proposal = rules.proposed_payouts(available, list(case.applicants or []), case.amount_owed)
    rows = [{"kind": "cost", "payee": "", "amount": "", "borne_by": "", "claim": ""}]
    # A13: the tax rows by who pays the transfer taxes (settlement.rules.tax_rows_for).
    rows += [{"kind": "tax", "payee": _("税务机关"), "amount": "", "borne_by": side, "claim": ""}
             for side in rules.tax_rows_for(round.lot.transfer_tax_payer)]
    for p in proposal:
        rows.append({"kind": p.kind, "payee": p.payee, "amount": f"{p.amount / 100:.2f}", "borne_by": "",
                     "claim": f"{p.claim / 100:.2f}" if p.claim else ""})
    for name in (case.applicants or [])[1:]:
        rows.append({"kind": "creditor", "payee": name, "amount": "", "borne_by": "", "claim": ""})
    docs = [(d, services.document_url(d)) for d in selectors.round_documents(round)]
    return render(request, "settlement/round_settlement.html", {
        "round": round, "case": case, "available": available, "settlement": settlement, "rows": rows,
        "buyer": selectors.buyer_of(round), "row_count": len(rows), "docs": docs, "can_settle": request.user.is_judge and round.status == "paid" and not settlement,
        "outbox": selectors.outbox_for_case(case), "tax_payer": round.lot.get_transfer_tax_payer_display(),
        "awaiting_balance": request.user.is_judge and round.status == Round.Status.SOLD,
        "balance_remaining": balances.balance_remaining(round) if round.status == Round.Status.SOLD else 0,
        "balance_overdue": round.status == Round.Status.SOLD and round.balance_due_at is not None and clock.now() > round.balance_due_at,
    })


@login_required
@require_POST
def round_balance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The judge's 催缴 (chase the balance, A25) and 悔拍 (declare the default, A24) on a sold round."""
    round = Round.objects.select_related("lot__case__court").filter(pk=pk).first()
    if round is None:
        raise Http404
    try:
        if action == "chase":
            remaining = balances.chase_balance(request.user, round_id=round.pk)
            messages.success(request, _("已向买受人催缴尾款 ¥%(amount)s。") % {"amount": yuan(remaining)})
        else:
            balances.declare_default(request.user, round_id=round.pk)
            messages.success(request, _("已认定悔拍：保证金不予退还，依次用于拍卖费用、再拍差价和本案债务（第二十四条）。"))
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, in_language(exc.message))
    return redirect("settlement:round-settlement", pk=round.pk)


@reads_may_lag  # the public result: a moment behind is fine
def round_result(request: HttpRequest, pk: int) -> HttpResponse:
    round = Round.objects.select_related("lot__case__court").filter(pk=pk).exclude(status=Round.Status.DRAFT).first()
    if round is None:
        raise Http404
    result = selectors.round_result(round)
    for b in result["bids"]:
        b["at_local"] = parse_datetime(b["at"]) if b["at"] else None
    chart = {"labels": [b["seq"] for b in result["bids"]], "amounts_yuan": [b["amount"] / 100 for b in result["bids"]],
             "codes": [b["code"] for b in result["bids"]]}
    return render(request, "settlement/round_result.html", {
        "round": round, "r": result, "chart_json": chart,
        "transcript": transparency.transcript_of(round.pk), "signing_key": transparency.public_key(),
    })


def statistics(request: HttpRequest, court: str | None = None) -> HttpResponse:
    """Public open-data page: the platform's figures (with a row per court) or one court's."""
    scope = None
    if court is not None:
        scope = opendata.court_by_key(court)
        if scope is None:
            raise Http404
    s = opendata.statistics(scope)
    chart = {
        "months": [m["month"] for m in s.months],
        "sale_rate": [None if m["sale_rate_bp"] is None else m["sale_rate_bp"] / 100 for m in s.months],
        "lots_sold": [m["lots_sold"] for m in s.months],
        "lots_auctioned": [m["lots_auctioned"] for m in s.months],
        "amount_yuan": [m["amount"] // 100 for m in s.months],
        "commission_yuan": [m["commission_saved"] // 100 for m in s.months],
        "labels": {"sale_rate": _("成交率(%)"), "sold": _("成交标的"), "auctioned": _("已拍标的"),
                   "amount": _("成交金额(元)"), "commission": _("节省佣金(元)")},
    }
    return render(request, "settlement/statistics.html", {"s": s, "court": scope, "chart_json": chart,
                                                          "courts": Court.objects.order_by("code")})
