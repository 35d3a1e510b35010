"""The kinds of notification the site sends: their names, their words and who hears them on which channel by default.

Texts take their values from the notification's `data` (``lot``: the lot's title, ``round``: 一拍/二拍/变卖,
``amount``: yuan, ``when``: a local time); they are stored in Chinese and shown again in the reader's language.
Another app may send a kind of its own (`register`), or a plain ``message`` with its own subject and body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auction_site.money import yuan

INBOX, EMAIL, SMS = "inbox", "email", "sms"
CHANNELS = (INBOX, EMAIL, SMS)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    subject: str
    body: str
    default: tuple[str, ...]


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


REMINDER = register(Kind("reminder", _("开拍提醒"), _("您设置提醒的拍品即将开拍：%(lot)s"),
                         _("%(round)s将于 %(when)s 开始竞价。"), (INBOX, EMAIL, SMS)))
OPENED = register(Kind("opened", _("开始竞价"), _("已开始竞价：%(lot)s"), _("%(round)s已开始竞价，结束时间 %(when)s。"), (INBOX,)))
OUTBID = register(Kind("outbid", _("出价被超越"), _("您的出价已被超越：%(lot)s"),
                       _("当前价 ¥%(amount)s，已高于您的出价。"), (INBOX, SMS)))
ENDING = register(Kind("ending", _("即将结束"), _("距结束不足5分钟：%(lot)s"), _("%(round)s将于 %(when)s 结束（有出价会延时）。"), (INBOX,)))
WON = register(Kind("won", _("竞得"), _("恭喜您竞得：%(lot)s"),
                    _("成交价 ¥%(amount)s。请于 %(when)s 前付清尾款，并查看成交确认书。"), (INBOX, EMAIL, SMS)))
LOST = register(Kind("lost", _("未竞得"), _("竞价已结束：%(lot)s"), _("您未竞得该拍品，保证金将于竞价结束后退还。"), (INBOX, EMAIL)))
BALANCE_DUE = register(Kind("balance_due", _("尾款到期提醒"), _("尾款将于%(days)s日内到期：%(lot)s"),
                            _("请于 %(when)s 前付清尾款 ¥%(amount)s，逾期保证金不予退还（悔拍）。"), (INBOX, EMAIL, SMS)))
DEPOSIT_RELEASED = register(Kind("deposit_released", _("保证金已退还"), _("保证金已退还：%(lot)s"),
                                 _("保证金 ¥%(amount)s 已原路退还。"), (INBOX, EMAIL)))
SUSPENDED = register(Kind("suspended", _("中止拍卖"), _("拍卖已中止：%(lot)s"), _("%(round)s已中止。%(reason)s"), (INBOX, EMAIL)))
RESUMED = register(Kind("resumed", _("恢复拍卖"), _("拍卖已恢复：%(lot)s"), _("%(round)s已恢复，开始时间 %(when)s。"), (INBOX, EMAIL)))
WITHDRAWN = register(Kind("withdrawn", _("撤回拍卖"), _("拍卖已撤回：%(lot)s"), _("%(round)s已撤回。%(reason)s"), (INBOX, EMAIL)))
MESSAGE = register(Kind("message", _("其他通知"), "%(subject)s", "%(body)s", (INBOX, EMAIL)))


def _values(data: dict) -> dict:
    """`data` as the texts show it: the round's name, a local time, an amount in yuan."""
    shown = dict(data)
    if "round_number" in data:
        n = data["round_number"]
        shown["round"] = str(_("变卖")) if data.get("selloff") else {1: str(_("一拍")), 2: str(_("二拍"))}.get(n, str(_("第%(n)s次拍卖") % {"n": n}))
    if data.get("when"):
        try:
            shown["when"] = timezone.localtime(datetime.fromisoformat(data["when"])).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            pass
    if isinstance(data.get("amount"), int):
        shown["amount"] = yuan(data["amount"])
    return shown


def render(kind: str, data: dict, field: str) -> str:
    """The kind's subject or body filled from `data` in the active language; '' for an unknown kind."""
    k = KINDS.get(kind)
    if k is None:
        return ""
    try:
        return (str(getattr(k, field)) % _Defaulting(_values(data))).strip()
    except (TypeError, ValueError, KeyError):
        return ""


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""


def round_data(rnd, **extra) -> dict:
    """The `data` of a notification about a round (any object with a lot, a number and a kind)."""
    when = extra.pop("when", None)
    return {"lot": rnd.lot.title, "round_number": rnd.number, "selloff": rnd.kind == "selloff", "round_id": rnd.pk,
            **({"when": when.isoformat()} if when else {}), **extra}
