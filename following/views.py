"""Pages of following: watch / reminder buttons (POST), the watch list and "my auctions". Thin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction_site.errors import DomainError, NotFound
from following import selectors, services

TABS = ["joined", "won", "deposits", "reminders"]


def _back(request: HttpRequest, default: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(nxt)
    return redirect(default)


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
    return _back(request, f"/lots/{lot_id}/")


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
            messages.error(request, e.message)
    return _back(request, "/")


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
