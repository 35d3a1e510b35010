"""Pages of following: watch / reminder buttons (POST), the watch list and "my auctions". Thin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from auction_site.errors import DomainError, NotFound, in_language
from auction_site.views import next_url
from following import selectors, services

TABS = ["joined", "won", "deposits", "reminders"]


@login_required
@require_POST
def watch(request: HttpRequest, lot_id: int) -> HttpResponse:
    if request.POST.get("action") == "remove":
        services.unwatch(request.user, lot_id=lot_id)
        messages.info(request, _("已取消关注"))
    else:
        try:
            services.watch(request.user, lot_id=lot_id)
        except NotFound:
            raise Http404
        messages.success(request, _("已关注，可在“我的关注”中查看"))
    return redirect(next_url(request, f"/lots/{lot_id}/"))


@login_required
@require_POST
def remind(request: HttpRequest, round_id: int) -> HttpResponse:
    if request.POST.get("action") == "cancel":
        services.cancel_reminder(request.user, round_id=round_id)
        messages.info(request, _("已取消提醒"))
    else:
        try:
            services.set_reminder(request.user, round_id=round_id)
            messages.success(request, _("已设置提醒：开拍前将通知您"))
        except NotFound:
            raise Http404
        except DomainError as e:
            messages.error(request, in_language(e.message))
    return redirect(next_url(request, "/"))


@require_GET
def watchers(request: HttpRequest, round_id: int) -> JsonResponse:
    """人正在围观 now, polled by the lot page (static/following/watchers.js) every 15 s: `{"round_id", "watching_now"}`.
    Not a websocket message: the websocket contract does not say clients ignore unknown types."""
    return JsonResponse({"round_id": round_id, "watching_now": selectors.watching_now(round_id)})


@login_required
def watch_list(request: HttpRequest) -> HttpResponse:
    return render(request, "following/watch_list.html", {"rows": selectors.watch_list(request.user)})


@login_required
def my_auctions(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "joined"
    data = selectors.my_auctions(request.user)
    return render(request, "following/my_auctions.html", {"tab": tab, "rows": data[tab], "counts": {k: len(v) for k, v in data.items()},
                                                          "tabs": [("joined", _("参拍")), ("won", _("已竞得")), ("deposits", _("保证金")),
                                                                   ("reminders", _("提醒"))]})
