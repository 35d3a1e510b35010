"""Pages of the bank path: the transfer details of a registration or a balance, the sandbox bank's
transfer button (test/demo mode), and the operator's page /operator/bank/."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction_site.errors import DomainError, in_language
from escrow.bank import accounts, matching, sandbox, selectors, services
from escrow.bank.models import BankInstruction, BankStatement, PaymentReference
from escrow.models import BalancePayment, Registration


def transfer_page(request: HttpRequest, reg: Registration, pr: PaymentReference, status: str) -> HttpResponse:
    pay = accounts.payment_info(pr)
    return render(request, "escrow/bank/transfer.html", {
        "reg": reg, "round": reg.round, "pay": pay, "due": datetime.fromisoformat(pay["due"]), "status": status,
        "sandbox": settings.BANK_SANDBOX})


@login_required
def balance_page(request: HttpRequest, payment_id: int) -> HttpResponse:
    bp = BalancePayment.objects.select_related("round__lot", "registration").filter(
        pk=payment_id, registration__bidder=request.user, provider=services.BANK).first()
    if bp is None:
        raise Http404
    pr = PaymentReference.objects.select_related("account").get(balance_payment=bp)
    return transfer_page(request, bp.registration, pr, bp.get_status_display())


@login_required
@require_POST
def sandbox_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    """Test/demo mode: the signed-in payer 'transfers' what is missing; the sandbox bank sends its camt.053."""
    pr = PaymentReference.objects.select_related("registration").filter(reference=reference, registration__bidder=request.user).first()
    if pr is None or not settings.BANK_SANDBOX:
        raise Http404
    try:
        sandbox.transfer(request.user, reference=reference, amount=pr.missing or pr.amount, payer_name=request.user.display_name())
    except DomainError as e:
        messages.error(request, in_language(e.message))
    else:
        reg = Registration.objects.get(pk=pr.registration_id)
        if pr.purpose == PaymentReference.Purpose.DEPOSIT and reg.code:
            messages.success(request, _("保证金已到账，您的竞买代码是 %(code)s") % {"code": reg.code})
        else:
            messages.success(request, _("银行来款已匹配"))
    if pr.purpose == PaymentReference.Purpose.BALANCE:
        return redirect("escrow-bank-balance", payment_id=pr.balance_payment_id)
    return redirect("escrow-pay", registration_id=pr.registration_id)


def _operator_only(request: HttpRequest) -> None:
    if not getattr(request.user, "is_operator", False):
        raise Http404


@login_required
def operator_page(request: HttpRequest) -> HttpResponse:
    """Case accounts against their statements, the suspense list, transfers awaiting the bank, uploads."""
    _operator_only(request)
    if request.method == "POST":
        try:
            if "statement" in request.FILES:
                result = matching.import_statement(request.user, content=request.FILES["statement"].read(), source=BankStatement.Source.UPLOAD)
                messages.success(request, _("已导入：新分录 %(new)s 笔，已导入过 %(seen)s 笔") % {"new": result.new, "seen": result.seen})
            elif request.POST.get("action") == "return":
                services.return_suspense(request.user, entry_id=int(request.POST["entry"]), note=request.POST.get("note", ""))
                messages.success(request, _("已生成原路退回指令"))
            elif request.POST.get("action") == "assign":
                matching.assign(request.user, entry_id=int(request.POST["entry"]), reference=request.POST.get("reference", ""))
                messages.success(request, _("已按参考号入账"))
        except DomainError as e:
            messages.error(request, f"{e.code}: {in_language(e.message)}")
        except (KeyError, ValueError):
            messages.error(request, _("请求无效"))
        return redirect("escrow-operator-bank")
    return render(request, "escrow/bank/operator.html", selectors.operator_overview())


@login_required
def instruction_file(request: HttpRequest, instruction_id: int) -> HttpResponse:
    """The pain.001 file of one payment instruction (for the operator to hand to the bank)."""
    _operator_only(request)
    ins = BankInstruction.objects.filter(pk=instruction_id).first()
    if ins is None:
        raise Http404
    resp = HttpResponse(bytes(ins.payment_file), content_type="application/xml")
    resp["Content-Disposition"] = f'attachment; filename="pain001-{ins.end_to_end_id}.xml"'
    return resp
