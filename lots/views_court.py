"""The judge workbench (/court/): the judge's own court only. Every write goes through lots.services.

Anonymous users are sent to the login page; any other user, or a judge of another court, gets 403.
Refusals of the services are shown with their article numbers (RulesViolated lists every violation).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction_site import clock
from auction_site.errors import DomainError
from lots import media as media_store
from lots import selectors, services
from lots.access import is_judge_of
from lots.forms import ROUND_ACTIONS, CaseForm, LotForm, ReasonForm, RoundForm
from lots.models import CaseParty, EnforcementCase, Lot, Round


def judge_required(view):
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (getattr(user, "is_judge", False) and user.court_id):
            raise PermissionDenied(_("仅法官可使用法院工作台"))
        return view(request, *args, **kwargs)

    return wrapped


def _own(request: HttpRequest, court_id: int) -> None:
    if not is_judge_of(request.user, court_id):
        raise PermissionDenied(_("只能操作本院的案件与标的"))


def _refusal(request: HttpRequest, exc: DomainError) -> list[dict]:
    """Messages for a service refusal; returns the violations (article, message) to show next to the form."""
    violations = getattr(exc, "violations", None)
    if violations:
        items = [{"article": v.article, "code": v.code, "message": v.message} for v in violations]
    else:
        items = [{"article": "", "code": exc.code, "message": exc.message}]
    for v in items:
        messages.error(request, f"[{v['article']}] {v['message']}" if v["article"] else v["message"])
    return items


def _apply_errors(form, exc: DomainError) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.message)


@judge_required
def home(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.create_case(request.user, **form.service_kwargs())
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("案件已创建：%(n)s") % {"n": case.case_number})
            return redirect("lots:court-case", case_id=case.pk)
    cases = selectors.judge_cases(request.user).annotate(lot_count=Count("lots"))
    rounds = selectors.judge_rounds(request.user).exclude(status__in=[Round.Status.SETTLED]).order_by("ends_at")[:30]
    return render(request, "lots/court/home.html", {"form": form, "cases": cases, "rounds": rounds, "court": request.user.court,
                                                    "to_resume": selectors.rounds_to_resume(request.user), "now": clock.now()})


@judge_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(EnforcementCase.objects.select_related("court"), pk=case_id)
    _own(request, case.court_id)
    lots = case.lots.order_by("id").prefetch_related("rounds")
    return render(request, "lots/court/case.html", {"case": case, "lots": lots, "parties": case.parties.select_related("user").order_by("side", "id"),
                                                    "sides": CaseParty.Side.choices})


@judge_required
@require_POST
def case_party_link(request: HttpRequest, case_id: int) -> HttpResponse:
    """The judge links a party's account (username, phone or ID number) to the case, as applicant or debtor."""
    case = get_object_or_404(EnforcementCase, pk=case_id)
    _own(request, case.court_id)
    raw_party = request.POST.get("party", "")
    try:
        party = services.link_party(request.user, case=case, side=request.POST.get("side", ""), account=request.POST.get("account", ""),
                                    party_id=int(raw_party) if raw_party.isdigit() else None)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("已关联当事人账户：%(name)s") % {"name": party.name})
    return redirect(reverse("lots:court-case", args=[case.pk]) + "#parties")


@judge_required
@require_POST
def case_party_unlink(request: HttpRequest, case_id: int, party_id: int) -> HttpResponse:
    case = get_object_or_404(EnforcementCase, pk=case_id)
    _own(request, case.court_id)
    get_object_or_404(CaseParty, pk=party_id, case=case)
    try:
        party = services.unlink_party(request.user, party_id=party_id)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("已解除当事人账户关联：%(name)s") % {"name": party.name})
    return redirect(reverse("lots:court-case", args=[case.pk]) + "#parties")


@judge_required
def lot_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(EnforcementCase, pk=case_id)
    _own(request, case.court_id)
    form = LotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lot = services.create_lot(request.user, case=case, **form.service_kwargs())
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("标的已创建，请上传照片和文件后创建拍卖轮次。"))
            return redirect("lots:court-lot", lot_id=lot.pk)
    return render(request, "lots/court/lot_form.html", {"form": form, "case": case, "lot": None})


@judge_required
def lot_edit(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case"), pk=lot_id)
    _own(request, lot.case.court_id)
    form = LotForm(request.POST or None, initial=LotForm.initial_for(lot))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_lot(request.user, lot=lot, **form.service_kwargs())
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("标的信息已保存。"))
            return redirect("lots:court-lot", lot_id=lot.pk)
    return render(request, "lots/court/lot_form.html", {"form": form, "case": lot.case, "lot": lot})


def _round_form_initial(lot: Lot) -> dict:
    last = lot.rounds.order_by("-number").first()
    if last is not None and last.status in {Round.Status.FAILED, Round.Status.DEFAULTED}:
        # A26: a re-auction may cut at most 20%; propose exactly that.
        from lots.forms import fen_to_yuan
        from lots.rules import min_reauction_start

        start = min_reauction_start(last.starting_price)
        return {"starting_price": fen_to_yuan(start), "deposit": fen_to_yuan(start // 10), "increment": fen_to_yuan(last.increment)}
    if lot.reference_price:
        from lots.forms import fen_to_yuan

        start = -(-lot.reference_price * 70 // 100)
        return {"starting_price": fen_to_yuan(start), "deposit": fen_to_yuan(start // 10)}
    return {}


def _workbench_context(request: HttpRequest, lot: Lot, round_form=None, violations=None) -> dict:
    rounds = list(lot.rounds.order_by("number"))
    now = clock.now()
    checks = {r.pk: services.publication_violations(r, now) for r in rounds if r.status == Round.Status.DRAFT}
    media = [{"media": m, "url": media_store.url_for(m) if m.status == m.Status.READY else None} for m in lot.media.order_by("position", "id")]
    last = rounds[-1] if rounds else None
    can_add_round = last is None or last.status in {Round.Status.FAILED, Round.Status.DEFAULTED}
    return {
        "lot": lot, "case": lot.case, "rounds": rounds, "checks": checks, "media": media, "can_add_round": can_add_round,
        "round_form": round_form or RoundForm(initial=_round_form_initial(lot)), "reason_form": ReasonForm(),
        "violations": violations or [], "now": now, "priority_holders": lot.priority_holders.all(),
    }


@judge_required
def lot_workbench(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    _own(request, lot.case.court_id)
    return render(request, "lots/court/lot.html", _workbench_context(request, lot))


@judge_required
def round_create(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = get_object_or_404(Lot.objects.select_related("case", "case__court"), pk=lot_id)
    _own(request, lot.case.court_id)
    if request.method != "POST":
        return redirect("lots:court-lot", lot_id=lot.pk)
    form = RoundForm(request.POST)
    violations = []
    if form.is_valid():
        try:
            rnd = services.create_round(request.user, lot=lot, **form.service_kwargs())
        except DomainError as exc:
            violations = _refusal(request, exc)
        else:
            messages.success(request, _("已创建第%(n)s次拍卖（草稿）。") % {"n": rnd.number})
            return redirect(reverse("lots:court-lot", args=[lot.pk]) + f"#round-{rnd.pk}")
    return render(request, "lots/court/lot.html", _workbench_context(request, lot, round_form=form, violations=violations), status=400)


@judge_required
@require_POST
def round_action(request: HttpRequest, round_id: int, action: str) -> HttpResponse:
    rnd = get_object_or_404(Round.objects.select_related("lot__case"), pk=round_id)
    _own(request, rnd.lot.case.court_id)
    if action not in ROUND_ACTIONS:
        raise PermissionDenied(_("未知操作"))
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "notify-parties":
            services.notify_parties(request.user, round_id=rnd.pk)
        elif action == "publish":
            services.publish_round(request.user, round_id=rnd.pk)
        elif action == "suspend":
            services.suspend_round(request.user, round_id=rnd.pk, reason=reason)
        elif action == "cause-ended":
            services.record_suspension_cause_ended(request.user, round_id=rnd.pk)
        elif action == "resume":
            services.resume_round(request.user, round_id=rnd.pk, reason=reason)
        else:
            services.withdraw_round(request.user, round_id=rnd.pk, reason=reason)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        done = {"notify-parties": _("已记录通知当事人，满3日后可发布公告（第十六条）。"), "publish": _("已发布公告。"),
                "suspend": _("已中止拍卖。"), "cause-ended": _("已记录中止事由消除，请在5日内恢复拍卖（第二十八条）。"),
                "resume": _("已恢复拍卖。"), "withdraw": _("已撤回拍卖。")}
        messages.success(request, done[action])
    return redirect(reverse("lots:court-lot", args=[rnd.lot_id]) + f"#round-{rnd.pk}")
