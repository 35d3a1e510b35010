"""Escrow's pages: my deposits, the case account, the sandbox/test pay pages, the round's register box."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from auction_site.errors import DomainError
from escrow import balances, selectors, services
from escrow.models import BalancePayment, Deposit, Registration
from lots.access import is_judge_of
from lots.models import EnforcementCase

TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}


def _error(request: HttpRequest, e: DomainError) -> None:
    messages.error(request, e.message)


@login_required
def my_deposits(request: HttpRequest) -> HttpResponse:
    return render(request, "escrow/my_deposits.html", {"rows": selectors.my_deposits(request.user)})


@login_required
def case_account(request: HttpRequest, case_id: int) -> HttpResponse:
    case = EnforcementCase.objects.select_related("court").filter(pk=case_id).first()
    if case is None or not is_judge_of(request.user, case):
        raise Http404  # judge of that court only; others do not learn the case exists
    return render(request, "escrow/case_account.html", {"account": selectors.case_account(case)})


def _next_url(request: HttpRequest, default: str) -> str:
    """The form's `next`, only when it points back at this site (no open redirect)."""
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return nxt
    return default


@login_required
@require_POST
def register(request: HttpRequest, round_id: int) -> HttpResponse:
    try:
        reg, _payment = services.register(request.user, round_id=round_id)
    except DomainError as e:
        _error(request, e)
        return redirect(_next_url(request, "/"))
    if reg.status == Registration.Status.PENDING:
        return redirect("escrow-pay", registration_id=reg.pk)
    return redirect(_next_url(request, "/me/deposits/"))


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, registration_id: int) -> HttpResponse:
    """Sandbox provider: a 'pay' button. Stripe in test/demo mode: a test card confirmed server-side
    (Stripe.js cannot load offline). Stripe in production: the card form would be Stripe.js (not offline)."""
    reg = Registration.objects.select_related("round__lot").filter(pk=registration_id, bidder=request.user).first()
    if reg is None:
        raise Http404
    deposit = Deposit.objects.filter(registration=reg).first()
    if deposit is None:
        raise Http404
    if request.method == "POST" and reg.status == Registration.Status.PENDING:
        try:
            if deposit.provider == "sandbox":
                reg = services.sandbox_pay(request.user, registration_id=reg.pk)
            elif settings.CLOCK_ADVANCE_ALLOWED:
                card = dict(TEST_CARD, number=request.POST.get("number", TEST_CARD["number"]).replace(" ", ""))
                reg = services.pay_with_test_card(request.user, registration_id=reg.pk, card=card)
            else:
                raise Http404
        except DomainError as e:
            _error(request, e)
            return redirect("escrow-pay", registration_id=reg.pk)
        if reg.status == Registration.Status.HELD:
            messages.success(request, _("保证金已冻结，您的竞买代码是 %(code)s") % {"code": reg.code})
        return redirect("escrow-pay", registration_id=reg.pk)
    return render(request, "escrow/pay.html", {"reg": reg, "deposit": deposit, "test_card": TEST_CARD,
                                                "server_confirm": settings.CLOCK_ADVANCE_ALLOWED})


@login_required
@require_POST
def pay_balance(request: HttpRequest, round_id: int) -> HttpResponse:
    try:
        bp, _info = balances.start_balance_payment(request.user, round_id=round_id)
    except DomainError as e:
        _error(request, e)
        return redirect("/me/deposits/")
    if bp is None:
        return redirect("/me/deposits/")
    return redirect("escrow-pay-balance", payment_id=bp.pk)


@login_required
@require_http_methods(["GET", "POST"])
def pay_balance_page(request: HttpRequest, payment_id: int) -> HttpResponse:
    bp = BalancePayment.objects.select_related("round__lot", "registration").filter(pk=payment_id, registration__bidder=request.user).first()
    if bp is None:
        raise Http404
    if request.method == "POST" and bp.status == BalancePayment.Status.PENDING:
        try:
            if bp.provider == "sandbox":
                balances.sandbox_pay_balance(request.user, payment_id=bp.pk)
            elif settings.CLOCK_ADVANCE_ALLOWED:
                card = dict(TEST_CARD, number=request.POST.get("number", TEST_CARD["number"]).replace(" ", ""))
                balances.start_balance_payment(request.user, round_id=bp.round_id, card=card)
            else:
                raise Http404
        except DomainError as e:
            _error(request, e)
        return redirect("escrow-pay-balance", payment_id=bp.pk)
    bp.round.refresh_from_db()
    return render(request, "escrow/pay_balance.html", {"bp": bp, "round": bp.round, "test_card": TEST_CARD,
                                                        "server_confirm": settings.CLOCK_ADVANCE_ALLOWED})
