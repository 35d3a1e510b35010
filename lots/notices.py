"""The texts a bidder reads before registering for a round: the 竞买公告 and the 竞买须知.

A round's own `bidding_notice` (written by the court) is used when it has one; otherwise a default is
generated from the lot and the round, in the platform's words, with the articles it follows
([A] = 法释〔2016〕18号). Pure reads: nothing here writes.
"""

from __future__ import annotations

from django.utils import timezone

from auction_site.money import capital, yuan
from lots.models import Round


def _when(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def round_name(rnd: Round) -> str:
    if rnd.kind == Round.Kind.SELLOFF:
        return "变卖"
    return {1: "第一次拍卖", 2: "第二次拍卖"}.get(rnd.number, f"第{rnd.number}次拍卖")


def default_announcement(rnd: Round) -> str:
    lot, case = rnd.lot, rnd.lot.case
    price_label = "变卖价" if rnd.kind == Round.Kind.SELLOFF else "起拍价"
    return (
        f"{case.court.name}将于{_when(rnd.starts_at)}至{_when(rnd.scheduled_ends_at)}在本平台对“{lot.title}”进行公开{round_name(rnd)}。\n"
        f"案号：{case.case_number}。标的物所在地：{lot.location or '—'}。\n"
        f"{price_label}：¥{yuan(rnd.starting_price)}（{capital(rnd.starting_price)}）。"
        + ("" if rnd.kind == Round.Kind.SELLOFF else f"保证金：¥{yuan(rnd.deposit)}。加价幅度：¥{yuan(rnd.increment)}。")
        + f"\n法院联系方式：{case.court.contact or '—'}。"
    )


def default_bidding_notice(rnd: Round) -> str:
    """The 竞买须知 generated from the lot and the round when the court wrote none."""
    lot = rnd.lot
    common_head = [
        "一、竞买人应当具备完全民事行为能力（年满十八周岁），并以本人真实身份实名报名；"
        "单位竞买的，由其法定代表人以统一社会信用代码实名报名，并上传营业执照。",
        "二、法院及平台工作人员及其近亲属、被执行人、曾在本标的物拍卖中悔拍的人员不得竞买（网拍规定第二十四条、第三十四条）。",
        "三、标的物按现状拍卖，请竞买人在报名前仔细阅读竞买公告、标的物介绍及瑕疵与权利负担说明，并可申请看样。",
        f"四、税费承担：{lot.get_transfer_tax_payer_display()}。",
    ]
    if rnd.kind == Round.Kind.SELLOFF:
        body = [
            f"五、本次为变卖，变卖价为¥{yuan(rnd.starting_price)}（{capital(rnd.starting_price)}），变卖期为六十日"
            f"（至{_when(rnd.scheduled_ends_at)}），不进行加价竞价（网拍规定第二十六条、第三十七条）。",
            "六、买受人须一次性付清全部变卖价款；报名时缴纳的款项即为全部价款，仅缴纳保证金不能成交。"
            "在变卖期内最先付清全款并确认购买的竞买人为买受人。",
            "七、未成交的竞买人所缴款项在变卖结束后二十四小时内退还（网拍规定第二十三条）。",
        ]
    else:
        body = [
            f"五、竞买人须在竞价结束前以本人名义缴纳保证金¥{yuan(rnd.deposit)}，保证金到账后取得竞买代码（网拍规定第十七条、第十八条）。",
            f"六、竞价时间自{_when(rnd.starts_at)}至{_when(rnd.scheduled_ends_at)}；首次出价不得低于起拍价¥{yuan(rnd.starting_price)}，"
            f"之后每次加价为¥{yuan(rnd.increment)}的整数倍。竞价结束前五分钟内有出价的，结束时间自动延长至该出价后五分钟，"
            "延时次数不限（网拍规定第二十条）。",
            "七、优先购买权人经法院确认后参加竞买，可以与最高出价相同的价格应价；顺位不同的，顺位在先者优先；"
            "顺位相同的，在先出价者优先（网拍规定第二十一条）。",
            "八、竞价结束后，未竞得者的保证金在二十四小时内退还；买受人的保证金转为价款（网拍规定第二十三条）。",
            f"九、买受人应在成交后{rnd.balance_due_days}日内付清余款；逾期不付的，保证金不予退还，并不得参加该标的物的再次拍卖（网拍规定第二十四条、第二十五条）。",
        ]
    return "\n".join(common_head + body)


def bidding_notice(rnd: Round) -> str:
    """The round's 竞买须知: the court's own text, else the default from the lot and the round."""
    return rnd.bidding_notice.strip() or default_bidding_notice(rnd)


def announcement(rnd: Round) -> str:
    """The round's 竞买公告: the court's own text, else a default from the lot and the round."""
    return rnd.announcement.strip() or default_announcement(rnd)
