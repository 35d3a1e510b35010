"""The judge workbench (/court/): the judge's own court only. Every write goes through lots.services.

Anonymous users are sent to the login page; any other user, or a judge of another court, gets 403.
Refusals of the services are shown with their article numbers (RulesViolated lists every violation).
"""

from datetime import timedelta
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
from auction_site.errors import DomainError, in_language
from lots import deadlines, selectors, services, signals, texts
from lots import media as media_store
from lots.access import is_judge_of
from lots.forms import (
    ROUND_ACTIONS,
    CaseForm,
    LotForm,
    NoticeTemplateForm,
    ReasonForm,
    RoundForm,
    fen_to_yuan,
    suggested_start,
)
from lots.models import CaseParty, Category, EnforcementCase, Lot, Media, NoticeTemplate, Round
from lots.rules import min_reauction_start


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


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    """A refused action after a redirect: one message, in the page's language (the article in front)."""
    if isinstance(exc, services.RulesViolated):
        # The page lists every violation once, in its publication check, next to the round.
        messages.error(request, _("未能完成：请先解决下列问题（见「发布前检查」）。"))
        return
    messages.error(request, in_language(str(exc.refusal)))


def _apply_errors(form, exc: DomainError) -> None:
    """A refusal shown once, in the page's language, next to the field it concerns (else above the form)."""
    for v in getattr(exc, "violations", None) or [exc.refusal]:
        form.add_error(v.field if v.field in form.fields else None, in_language(str(v)))


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
    # Newest first (selectors.judge_rounds' order).
    rounds = selectors.judge_rounds(request.user).exclude(status__in=[Round.Status.SETTLED])[:30]
    now = clock.now()
    return render(request, "lots/court/home.html", {"form": form, "cases": cases, "rounds": rounds, "court": request.user.court,
                                                    "desk": _desk(request.user.court_id, now),
                                                    "to_resume": selectors.rounds_to_resume(request.user), "now": now})


def _desk(court_id: int, now) -> list:
    """The judge's to-do list by legal deadline (lots.deadlines rows, gathered by the apps that hold the
    facts through lots.signals.court_desk), newest risk first."""
    rows = []
    for _receiver, answer in signals.court_desk.send(sender=None, court_id=court_id, now=now):
        rows.extend(answer or [])
    return deadlines.order_for_desk(rows)


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


def _next_round_number(lot: Lot) -> int:
    last = lot.rounds.order_by("-number").first()
    return last.number + 1 if last is not None else 1


def _earliest_start(lot: Lot):
    """A12/A16: the earliest start of the lot's next round, as the judge would publish it (notice now)."""
    return deadlines.earliest_start(lot.category, _next_round_number(lot), clock.now())


def _round_form_initial(lot: Lot) -> dict:
    starts = suggested_start(_earliest_start(lot))
    times = {"starts_at": starts, "ends_at": starts + timedelta(days=1)}
    last = lot.rounds.order_by("-number").first()
    if last is not None and last.status in {Round.Status.FAILED, Round.Status.DEFAULTED}:
        # A26: a re-auction may cut at most 20%; propose exactly that.
        start = min_reauction_start(last.starting_price)
        return {"starting_price": fen_to_yuan(start), "deposit": fen_to_yuan(start // 10), "increment": fen_to_yuan(last.increment), **times}
    if lot.reference_price:
        start = -(-lot.reference_price * 70 // 100)
        increment = max(start // 100 // 100 * 100, 100)  # about 1% of the start, in whole yuan
        return {"starting_price": fen_to_yuan(start), "deposit": fen_to_yuan(start // 10), "increment": fen_to_yuan(increment), **times}
    return times


def _workbench_context(request: HttpRequest, lot: Lot, round_form=None) -> dict:
    rounds = list(lot.rounds.order_by("-number"))  # newest first
    now = clock.now()
    checks = {r.pk: services.publication_violations(r, now) for r in rounds if r.status == Round.Status.DRAFT}
    media = [{"media": m, "url": media_store.url_for(m) if m.status == m.Status.READY else None}
             for m in lot.media.order_by("position", "id")]
    cover = next((m["media"].pk for m in media if m["media"].kind == "photo" and m["media"].status == "ready"), None)
    last = rounds[0] if rounds else None
    can_add_round = last is None or last.status in {Round.Status.FAILED, Round.Status.DEFAULTED}
    return {
        "lot": lot, "case": lot.case, "rounds": rounds, "checks": checks, "media": media, "cover_id": cover,
        "media_editable": not any(r.status != Round.Status.DRAFT for r in rounds), "can_add_round": can_add_round,
        "round_form": round_form or RoundForm(initial=_round_form_initial(lot), earliest_start=_earliest_start(lot)),
        "reason_form": ReasonForm(), "now": now, "priority_holders": lot.priority_holders.all(),
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
    if form.is_valid():
        try:
            rnd = services.create_round(request.user, lot=lot, **form.service_kwargs())
            _fill_blank_texts(request.user, rnd)
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已创建第%(n)s次拍卖（草稿），请预览公告与须知。") % {"n": rnd.number})
            return redirect("lots:court-round-preview", round_id=rnd.pk)
    form.fields["starts_at"].help_text = RoundForm(earliest_start=_earliest_start(lot)).fields["starts_at"].help_text
    return render(request, "lots/court/lot.html", _workbench_context(request, lot, round_form=form), status=400)


def _fill_blank_texts(judge, rnd: Round, *, force: bool = False) -> Round:
    """The 竞买公告 and 竞买须知 generated from the court's templates where the draft has none (or all, `force`)."""
    generated = texts.generate(rnd)
    fields = {k: v for k, v in generated.items() if force or not getattr(rnd, k).strip()}
    return services.update_draft_round(judge, round_id=rnd.pk, **fields) if fields else rnd


def _draft(request: HttpRequest, round_id: int) -> Round:
    rnd = get_object_or_404(Round.objects.select_related("lot__case__court"), pk=round_id)
    _own(request, rnd.lot.case.court_id)
    return rnd


@judge_required
def round_edit(request: HttpRequest, round_id: int) -> HttpResponse:
    """A draft round's prices, times and texts; every rule is checked again on saving (update_draft_round)."""
    rnd = _draft(request, round_id)
    if rnd.status != Round.Status.DRAFT:
        messages.error(request, _("只有草稿可以修改。"))
        return redirect(reverse("lots:court-lot", args=[rnd.lot_id]) + f"#round-{rnd.pk}")
    earliest = deadlines.earliest_start(rnd.lot.category, rnd.number, clock.now(), rnd.parties_notified_at)
    form = RoundForm(request.POST or None, initial=RoundForm.initial_for(rnd), earliest_start=earliest)
    if request.method == "POST" and form.is_valid():
        fields = form.service_kwargs()
        # A text still as generated from the old particulars follows the new ones; a text the judge wrote stays.
        for kind, text in texts.generate(rnd).items():
            if (fields.get(kind) or "").replace("\r\n", "\n").strip() == text:  # a browser sends CR LF
                fields[kind] = ""
        try:
            services.update_draft_round(request.user, round_id=rnd.pk, **fields)
            _fill_blank_texts(request.user, Round.objects.select_related("lot__case__court").get(pk=rnd.pk))
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("lots:court-round-preview", round_id=rnd.pk)
    return render(request, "lots/court/round_form.html", {"form": form, "round": rnd, "lot": rnd.lot, "case": rnd.lot.case},
                  status=400 if form.errors else 200)


@judge_required
def round_preview(request: HttpRequest, round_id: int) -> HttpResponse:
    """The 竞买公告 and 竞买须知 as bidders will read them, with the publication check, before publishing."""
    rnd = _draft(request, round_id)
    generated = texts.generate(rnd)
    return render(request, "lots/court/round_preview.html", {
        "round": rnd, "lot": rnd.lot, "case": rnd.lot.case, "generated": generated,
        "announcement": rnd.announcement.strip() or generated["announcement"],
        "bidding_notice": rnd.bidding_notice.strip() or generated["bidding_notice"],
        "differs": any(generated[k] != getattr(rnd, k).strip() for k in generated),
        "checks": services.publication_violations(rnd, clock.now()) if rnd.status == Round.Status.DRAFT else [],
    })


@judge_required
def notice_templates(request: HttpRequest) -> HttpResponse:
    """The court's own templates of the 竞买公告 and 竞买须知, one per category (lots.texts)."""
    category = request.GET.get("category") or request.POST.get("category") or Category.REAL_ESTATE
    if category not in Category.values:
        category = Category.REAL_ESTATE
    forms_by_kind = {}
    for kind in NoticeTemplate.Kind.values:
        initial = {"text": texts.template_text(request.user.court, category, kind)}
        bound = request.method == "POST" and request.POST.get("kind") == kind
        forms_by_kind[kind] = NoticeTemplateForm(request.POST if bound else None, initial=initial, prefix=kind)
        if bound and forms_by_kind[kind].is_valid():
            try:
                texts.save_template(request.user, category=category, kind=kind, text=forms_by_kind[kind].cleaned_data["text"])
            except DomainError as exc:
                _apply_errors(forms_by_kind[kind], exc)
            else:
                messages.success(request, _("模板已保存。"))
                return redirect(reverse("lots:court-templates") + f"?category={category}")
    return render(request, "lots/court/templates.html", {
        "category": category, "categories": Category.choices, "forms": [(k, dict(NoticeTemplate.Kind.choices)[k], f) for k, f in forms_by_kind.items()],
        "placeholders": texts.CONTEXT_KEYS, "court": request.user.court,
        "hint": _("模板中可使用下列占位符，例如 %(var)s；条件可写 %(cond)s。清空后保存即恢复平台默认模板。") % {
            "var": "{{ starting_price }}", "cond": "{% if selloff %}…{% endif %}"},
    }, status=400 if any(f.errors for f in forms_by_kind.values()) else 200)


@judge_required
@require_POST
def media_action(request: HttpRequest, media_id: int, action: str) -> HttpResponse:
    item = get_object_or_404(Media.objects.select_related("lot__case"), pk=media_id)
    _own(request, item.lot.case.court_id)
    try:
        if action == "delete":
            services.delete_media(request.user, media_id=item.pk)
            messages.success(request, _("文件已删除。"))
        elif action == "cover":
            services.set_cover(request.user, media_id=item.pk)
            messages.success(request, _("已设为封面。"))
        else:
            services.move_media(request.user, media_id=item.pk, step=-1 if action == "up" else 1)
    except DomainError as exc:
        _refusal(request, exc)
    return redirect(reverse("lots:court-lot", args=[item.lot_id]) + "#media")


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
        elif action == "generate-texts":
            _fill_blank_texts(request.user, rnd, force=True)
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
                "resume": _("已恢复拍卖。"), "withdraw": _("已撤回拍卖。"),
                "generate-texts": _("已按本院模板重新生成竞买公告与竞买须知。")}
        messages.success(request, done[action])
        if action == "generate-texts":
            return redirect("lots:court-round-preview", round_id=rnd.pk)
    return redirect(reverse("lots:court-lot", args=[rnd.lot_id]) + f"#round-{rnd.pk}")
