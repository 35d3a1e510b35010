"""The live bid page (server-rendered; live.js keeps it current over the websocket)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from auction_site.errors import ErrorCode
from bidding import rules, selectors
from lots.models import Round


def refusal_messages() -> dict[ErrorCode, str]:
    """Clear Chinese messages for every refusal code of the contract (translated for English users)."""
    return {
        ErrorCode.TOO_LOW: _("出价过低：请不低于下一口可出价金额（首次出价不低于起拍价）。"),
        ErrorCode.NOT_ON_INCREMENT: _("出价须为起拍价或当前价加上加价幅度的整数倍。"),
        ErrorCode.NOT_REGISTERED: _("您尚未报名或保证金尚未冻结，不能出价。"),
        ErrorCode.NOT_OPEN: _("竞价尚未开始或已中止，暂不能出价。"),
        ErrorCode.CLOSED: _("竞价已结束，不能再出价。"),
        ErrorCode.BARRED: _("您不具备本标的的竞买资格（如悔拍人、工作人员或被执行人）。"),
        ErrorCode.RATE_LIMITED: _("出价过于频繁，请稍候再试。"),
        ErrorCode.INVALID: _("出价无效，请检查金额后重试。"),
    }


def reason_messages() -> dict[str, str]:
    """Plainer messages for the finer reasons some refusals carry (bidding.rules.Refusal.reason)."""
    return {
        "already_leading": _("您已是当前最高出价人，无需再次出价；被他人超越后可继续加价。"),
        "below_start": _("出价过低：首次出价不能低于起拍价。"),
        "below_next": _("出价过低：须不低于当前价加一个加价幅度。"),
        "priority_tie": _("同价应价时，优先购买权顺位在先者优先；顺位相同的，在先出价者优先。"),
        "selloff_fixed_price": _("变卖按变卖价成交，请按变卖价购买。"),
        "full_price_not_held": _("变卖须一次性付清全款后方可购买，仅缴纳保证金不能成交。请先支付全款。"),
        "group_not_confirmed": _("联合竞买或委托竞买须经法院审查确认后方可出价，请等待法院确认。"),
    }


def ui_text() -> dict:
    return {
        "status": {"draft": _("草稿"), "announced": _("公告中"), "open": _("竞价中"), "closed": _("已结束"), "sold": _("已成交"),
                   "failed": _("流拍"), "suspended": _("中止"), "withdrawn": _("撤回"), "paid": _("已付款"), "settled": _("已结算"),
                   "defaulted": _("悔拍")},
        "connecting": _("正在连接…"), "live": _("实时连接中"), "reconnecting": _("连接已断开，正在重新连接…"),
        "accepted": _("出价成功"), "proxySet": _("代理出价已设置"), "toStart": _("距开始"), "toEnd": _("距结束"), "ended": _("已结束"),
        "days": _("天"), "noBids": _("（起拍价，尚无出价）"), "price": _("出价"), "badAmount": _("请输入正确的金额（元，最多两位小数）"),
        "extendedTo": _("结束时间已延长至"), "proxy": _("代理"), "priority": _("优先"), "youLead": _("您目前领先"),
        "outbid": _("已被超越：其他竞买人出价更高，您可以继续加价。"), "me": _("我"), "leading": _("领先"), "out": _("出局"),
        "sent": _("出价已提交，等待确认…"), "youWon": _("竞得"), "youLost": _("未竞得"),
        "confirmTitle": _("确认出价"), "confirmSelloff": _("确认以变卖价全款购买"), "confirmOk": _("确认出价"),
        "confirmCancel": _("取消"), "jumpTitle": _("请再次核对：出价远高于当前价"),
        "jumpText": _("您的出价比当前价高出 %(n)s 个加价幅度（多出 ¥%(diff)s）。出价一经确认不可撤回，竞得后须按此价付款。"),
        "jumpOk": _("我已核对金额，仍要出价"), "capital": _("大写"),
        "largeJumpIncrements": rules.LARGE_JUMP_INCREMENTS,
    }


def live(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = get_object_or_404(Round.objects.select_related("lot__case__court"), pk=round_id)
    snapshot = selectors.snapshot(round_id, request.user)
    return render(request, "bidding/live.html", {
        "round": rnd, "lot": rnd.lot, "snapshot": snapshot, "you": snapshot["you"],
        "messages_by_code": refusal_messages(), "messages_by_reason": reason_messages(), "ui_text": ui_text(),
    })


def outcome(request: HttpRequest, round_id: int) -> HttpResponse:
    """The viewer's outcome and next steps once the round has ended (the live page loads it on the status event)."""
    rnd = get_object_or_404(Round.objects.select_related("lot__case__court"), pk=round_id)
    return render(request, "bidding/_outcome.html", {"round": rnd})
