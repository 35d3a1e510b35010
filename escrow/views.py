"""Escrow's pages: my deposits, the case account, the sandbox/test pay pages, the round's register box."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from auction_site import clock
from auction_site.errors import DomainError, ErrorCode, in_language
from auction_site.views import next_url
from escrow import balances, commitments, groups, rules, selectors, services
from escrow.bank import services as bank_services
from escrow.bank import views as bank_views
from escrow.models import BalancePayment, BiddingGroup, Deposit, Registration
from lots.access import is_judge_of
from lots.models import EnforcementCase, Round

TEST_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}


def _error(request: HttpRequest, e: DomainError) -> None:
    messages.error(request, in_language(e.message))


@login_required
def my_deposits(request: HttpRequest) -> HttpResponse:
    return render(request, "escrow/my_deposits.html", {"rows": selectors.my_deposits(request.user)})


@login_required
def case_account(request: HttpRequest, case_id: int) -> HttpResponse:
    case = EnforcementCase.objects.select_related("court").filter(pk=case_id).first()
    if case is None or not is_judge_of(request.user, case):
        raise Http404  # judge of that court only; others do not learn the case exists
    return render(request, "escrow/case_account.html", {"account": selectors.case_account(case)})


CO_BIDDER_ROWS = 4  # rows of the page's joint-bidding form (the API takes up to escrow.rules.MAX_CO_BIDDERS)


def _group_declaration(request: HttpRequest) -> groups.GroupDeclaration | None:
    mode = request.POST.get("group_mode", "single")
    if mode not in rules.GROUP_KINDS:
        return None
    co = []
    for i in range(1, CO_BIDDER_ROWS + 1):
        name, id_number = request.POST.get(f"co_name_{i}", "").strip(), request.POST.get(f"co_id_{i}", "").strip()
        if name or id_number:
            co.append(groups.CoBidder(name=name, id_number=id_number, share=request.POST.get(f"co_share_{i}", ""),
                                      legal_representative=request.POST.get(f"co_rep_{i}", ""),
                                      legal_representative_id=request.POST.get(f"co_rep_id_{i}", "")))
    poa = request.FILES.get("power_of_attorney")
    return groups.GroupDeclaration(
        kind=mode, share=request.POST.get("share", ""), co_bidders=co,
        principal_name=request.POST.get("principal_name", ""), principal_id_number=request.POST.get("principal_id_number", ""),
        power_of_attorney=poa.read(rules.POA_MAX_BYTES + 1) if poa is not None else None)


def _declaration(request: HttpRequest) -> commitments.Declaration:
    licence = request.FILES.get("licence")
    # one byte more than allowed is enough to refuse a file that is too large
    content = licence.read(rules.LICENCE_MAX_BYTES + 1) if licence is not None else None
    return commitments.Declaration(
        accept_notice=request.POST.get("accept_notice") == "on", signed_name=request.POST.get("signed_name", ""),
        priority=request.POST.get("priority") == "on", ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""), legal_representative=request.POST.get("legal_representative", ""),
        legal_representative_id=request.POST.get("legal_representative_id", ""), licence=content,
        licence_name=licence.name if licence is not None else "", group=_group_declaration(request))


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, round_id: int) -> HttpResponse:
    """报名: read the 竞买公告 and 竞买须知, accept them, sign the 竞买承诺书, declare a priority right
    (a company: its legal representative and business licence), then pay the deposit."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    existing = selectors.registration_for(request.user, rnd)
    if existing is not None and existing.status == Registration.Status.PENDING:
        return redirect("escrow-pay", registration_id=existing.pk)
    if request.method == "POST":
        try:
            reg, _payment = bank_services.register(request.user, round_id=round_id, declaration=_declaration(request))  # routed by size
        except DomainError as e:
            _error(request, e)
            if e.code in {ErrorCode.BARRED, ErrorCode.NOT_A_BIDDER, ErrorCode.NOT_ADULT, ErrorCode.NOT_OPEN_FOR_REGISTRATION,
                          ErrorCode.BIDDING_ENDED, ErrorCode.ALREADY_REGISTERED}:
                return redirect(next_url(request, "/"))
            return redirect(request.path)
        if reg.status == Registration.Status.PENDING:
            return redirect("escrow-pay", registration_id=reg.pk)
        return redirect(next_url(request, "/me/deposits/"))
    return render(request, "escrow/register.html", {
        "round": rnd, "lot": rnd.lot, "terms": commitments.terms(rnd), "registration": existing,
        "company": commitments.is_company(request.user),
        "commitment": commitments.commitment_for(request.user, rnd),
        "holder": commitments.holder_for(request.user, rnd),
        "priority_holders": list(rnd.lot.priority_holders.all()),
        "amount": rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price),
        "next": request.GET.get("next", f"/lots/{rnd.lot_id}/"),
        # joint and agent bidding: only before bidding opens (escrow.rules.group_window_violation)
        "groups_open": rules.group_window_violation(rnd.status, rnd.starts_at, clock.now()) is None,
        "co_rows": range(1, CO_BIDDER_ROWS + 1),
        "invitations": selectors.invitations_for(request.user, rnd),
    })


@login_required
@require_POST
def accept_joint_bid(request: HttpRequest, registration_id: int) -> HttpResponse:
    """A co-bidder agrees to the joint bid that names them (from the round's register page)."""
    try:
        member = services.accept_joint_bid(request.user, registration_id=registration_id)
    except DomainError as e:
        _error(request, e)
        return redirect(next_url(request, "/"))
    messages.success(request, _("您已同意参加联合竞买，待法院确认。"))
    return redirect("escrow-register", round_id=member.group.registration.round_id)


def notice(request: HttpRequest, round_id: int) -> HttpResponse:
    """The round's 竞买公告 and 竞买须知 on their own page (the link behind '竞买须知' everywhere)."""
    rnd = Round.objects.select_related("lot__case__court").filter(pk=round_id).exclude(status="draft").first()
    if rnd is None:
        raise Http404
    return render(request, "escrow/notice.html", {"round": rnd, "lot": rnd.lot, "terms": commitments.terms(rnd)})


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
    if deposit.provider == bank_services.BANK:  # a transfer into the case account: its details, no card
        return bank_views.transfer_page(request, reg, bank_services.reference_for(reg), reg.get_status_display())
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
        if reg.status == Registration.Status.HELD and reg.code:
            messages.success(request, _("保证金已冻结，您的竞买代码是 %(code)s") % {"code": reg.code})
        elif reg.status == Registration.Status.HELD:  # a joint or agent group the court has not confirmed yet
            messages.success(request, _("保证金已冻结。联合竞买、委托竞买经法院确认后发放竞买代码，方可出价。"))
        return redirect("escrow-pay", registration_id=reg.pk)
    return render(request, "escrow/pay.html", {"reg": reg, "deposit": deposit, "test_card": TEST_CARD,
                                                "server_confirm": settings.CLOCK_ADVANCE_ALLOWED})


@login_required
@require_POST
def pay_balance(request: HttpRequest, round_id: int) -> HttpResponse:
    try:
        bp, _info = bank_services.pay_balance(request.user, round_id=round_id)  # routed by size
    except DomainError as e:
        _error(request, e)
        return redirect("/me/deposits/")
    if bp is None:
        return redirect("/me/deposits/")
    if bp.provider == bank_services.BANK:
        return redirect("escrow-bank-balance", payment_id=bp.pk)
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


# --- the court's confirmation of joint and agent bidding (court desk) -------------------------------

def _judge_or_404(request: HttpRequest) -> None:
    if not (request.user.is_authenticated and getattr(request.user, "is_judge", False) and request.user.court_id):
        raise Http404


@login_required
def court_groups(request: HttpRequest) -> HttpResponse:
    """联合竞买 / 委托竞买: the judge's own court's groups, pending first, with the power of attorney and the decision."""
    _judge_or_404(request)
    return render(request, "escrow/court_groups.html", {"groups": selectors.groups_for_court(request.user.court_id), "now": clock.now()})


@login_required
@require_POST
def court_group_decide(request: HttpRequest, registration_id: int) -> HttpResponse:
    _judge_or_404(request)
    try:
        if request.POST.get("decision") == "reject":
            services.reject_group(request.user, registration_id=registration_id, reason=request.POST.get("reason", ""))
            messages.success(request, _("已不予确认，保证金将退还。"))
        else:
            services.confirm_group(request.user, registration_id=registration_id)
            if Registration.objects.filter(pk=registration_id).exclude(code=None).exists():
                messages.success(request, _("已确认，竞买代码已发放，可以出价。"))
            else:
                messages.success(request, _("已确认，保证金到账后即发放竞买代码。"))
    except DomainError as e:
        _error(request, e)
    return redirect("escrow-court-groups")


@login_required
def court_group_poa(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The power of attorney (授权委托书) of an agent registration, for the judge of the round's court only."""
    group = BiddingGroup.objects.select_related("registration__round__lot__case").filter(registration_id=registration_id).first()
    if group is None or not group.poa_key or not is_judge_of(request.user, group.registration.round):
        raise Http404
    fh = storages["default"].open(group.poa_key, "rb")
    return FileResponse(fh, content_type="application/pdf", filename=f"power-of-attorney-{registration_id}.pdf")
